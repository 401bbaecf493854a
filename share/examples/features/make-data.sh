#!/bin/sh
# Writes the example's data into the current directory, the same bytes on
# every machine (its own generator, not awk's rand): trips.csv (a month of
# trips of 60 drivers), profiles.csv (their ratings, restated now and
# then) and spine.csv (driver, time, and whether the driver left within
# the week: the label to learn).
awk '
function rnd() { seed = (seed * 16807) % 2147483647; return seed / 2147483647 }
function iso(t,   d, s) {
	d = int(t / 86400); s = t - d * 86400
	return sprintf("2024-%02d-%02dT%02d:%02d:%02dZ", d < 31 ? 1 : 2, d < 31 ? d + 1 : d - 30, int(s / 3600), int(s % 3600 / 60), s % 60)
}
BEGIN {
	seed = 42
	print "driver_id,event_ts,fare" > "trips.csv"
	print "driver_id,event_ts,created_ts,rating,tenure_days" > "profiles.csv"
	print "driver_id,event_ts,churned" > "spine.csv"
	for (d = 1001; d <= 1060; d++) {
		busy[d] = 1 + int(rnd() * 8)
		rating[d] = 3.5 + int(rnd() * 15) / 10
		tenure[d] = 10 + int(rnd() * 900)
	}
	# trips: day by day, at most busy[d] a day, fewer for drivers about to leave
	for (day = 0; day < 35; day++)
		for (d = 1001; d <= 1060; d++) {
			n = int(rnd() * (busy[d] + 1))
			if (rating[d] < 4.0 && day > 20) n = int(n / 3)
			for (k = 0; k < n; k++)
				printf "%d,%s,%.2f\n", d, iso(day * 86400 + 6 * 3600 + int(rnd() * 16 * 3600)), 5 + rnd() * 40 > "trips.csv"
		}
	# profiles: a rating every ten days, sometimes restated later
	for (day = 0; day < 35; day += 10)
		for (d = 1001; d <= 1060; d++) {
			t = day * 86400 + 3600
			r = rating[d] + (rnd() - 0.5) / 5
			printf "%d,%s,%s,%.2f,%d\n", d, iso(t), iso(t), r, tenure[d] + day > "profiles.csv"
			if (rnd() < 0.2)
				printf "%d,%s,%s,%.2f,%d\n", d, iso(t), iso(t + 7200), r - 0.1, tenure[d] + day > "profiles.csv"
		}
	# the spine: each driver at noon on five days
	for (day = 14; day < 35; day += 5)
		for (d = 1001; d <= 1060; d++) {
			p = (rating[d] < 4.0 ? 0.6 : 0.1) + (busy[d] < 3 ? 0.2 : 0)
			printf "%d,%s,%d\n", d, iso(day * 86400 + 12 * 3600), rnd() < p ? 1 : 0 > "spine.csv"
		}
}'
