#!/usr/bin/env python3
"""Writes the example data sets (deterministic; the standard library only):
churn.csv (binary: did a customer leave), houses.csv (regression: price),
and flowers.csv (three classes)."""
import math
import random

r = random.Random(7)

with open("churn.csv", "w") as f:
    f.write("tenure,monthly,support_calls,plan,age,churned\n")
    for _ in range(3000):
        tenure = r.randint(0, 72)
        plan = r.choice(["basic", "plus", "pro"])
        monthly = round(r.uniform(10, 120), 2)
        calls = min(int(r.expovariate(0.6)), 12)
        age = "" if r.random() < 0.05 else r.randint(18, 90)
        z = (-0.06 * tenure + 0.025 * monthly + 0.45 * calls
             + {"basic": 0.4, "plus": 0.0, "pro": -0.5}[plan] - 1.2
             + (0.6 if age != "" and age > 70 else 0))
        churned = 1 if r.random() < 1 / (1 + math.exp(-z)) else 0
        f.write(f"{tenure},{monthly},{calls},{plan},{age},{churned}\n")

with open("houses.csv", "w") as f:
    f.write("rooms,area,age,distance,price\n")
    for _ in range(2000):
        rooms = r.randint(1, 8)
        area = round(r.uniform(25, 250), 1)
        age = r.randint(0, 120)
        dist = round(r.uniform(0.5, 40), 2)
        price = (50 + 2.1 * area + 12 * rooms - 0.4 * age
                 - 35 * math.log(dist) + r.gauss(0, 15))
        f.write(f"{rooms},{area},{age},{dist},{price:.1f}\n")

with open("flowers.csv", "w") as f:
    f.write("petal_length,petal_width,sepal_length,sepal_width,species\n")
    centers = [(1.5, 0.25, 5.0, 3.4), (4.3, 1.3, 5.9, 2.8),
               (5.5, 2.0, 6.6, 3.0)]
    for i in range(600):
        k = i % 3
        c = centers[k]
        row = [max(0.1, r.gauss(m, 0.35)) for m in c]
        f.write(",".join(f"{v:.2f}" for v in row) + f",{k}\n")
