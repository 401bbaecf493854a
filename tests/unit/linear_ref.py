# Reference solutions for tests/unit/linear_test.c, computed once with
# Debian's python3-sklearn 1.2.1: /usr/bin/python3 tests/unit/linear_ref.py
# prints the data set and the coefficients the test embeds.
import numpy as np
from sklearn.linear_model import LogisticRegression, Ridge
rng = np.random.default_rng(7)
n = 80
x1 = np.round(rng.normal(0, 1.5, n) * 64) / 64
x2 = np.round(rng.uniform(0, 10, n) * 64) / 64
c = rng.integers(0, 3, n).astype(float)
x2[[3, 17, 42]] = np.nan
c[[5, 60]] = np.nan
eff = np.array([0.0, 1.0, -1.0])
m = 0.5 + 1.2 * x1 - 0.3 * x2 + np.where(np.isnan(c), 0, eff[np.nan_to_num(c).astype(int)])
m = np.nan_to_num(m)
y = (rng.uniform(0, 1, n) < 1 / (1 + np.exp(-m))).astype(float)
yr = np.round((1 + 2 * x1 - 0.5 * np.nan_to_num(x2, nan=5) + np.where(np.isnan(c), 0, eff[np.nan_to_num(c).astype(int)]) + rng.normal(0, 0.5, n)) * 64) / 64
for v in (x1, x2, c, yr):
    assert np.all(np.isnan(v) | (v.astype(np.float32) == v))

def z(v):
    p = ~np.isnan(v)
    mu = v[p].mean(); sd = v[p].std()
    return np.where(p, (v - mu) / sd, 0), mu, sd
z1, m1, s1 = z(x1); z2, m2, s2 = z(x2)
oh = np.stack([(c == k).astype(float) for k in range(3)], 1)
Z = np.column_stack([z1, z2, oh])
lam = 0.01
clf = LogisticRegression(C=1 / (lam * n), solver='newton-cg', tol=1e-14, max_iter=10000)
clf.fit(Z, y)
np.set_printoptions(precision=17)
def arr(name, v, t='float'):
    s = ', '.join('NAN' if np.isnan(a) else repr(float(a)) for a in v)
    print(f'static const {t} {name}[] = {{ {s} }};')
arr('ref_x1', x1); arr('ref_x2', x2); arr('ref_c', c); arr('ref_y', y); arr('ref_yr', yr)
print('means', repr(m1), repr(m2), 'sd', repr(s1), repr(s2))
print('logistic coef', [repr(a) for a in clf.coef_[0]], 'intercept', repr(clf.intercept_[0]))
# check our objective's gradient at the solution
w = clf.coef_[0]; b = clf.intercept_[0]
mm = Z @ w + b; p = 1 / (1 + np.exp(-mm))
g = Z.T @ (p - y) / n + lam * w
print('grad', g, (p - y).mean())
r = Ridge(alpha=lam * n, tol=1e-14, solver='cholesky').fit(Z, yr)
print('ridge coef', [repr(a) for a in r.coef_], 'intercept', repr(r.intercept_))
# polish sklearn's solution with exact Newton steps on the same objective
th = np.append(w, b); A = np.column_stack([Z, np.ones(n)])
for it in range(5):
    p = 1 / (1 + np.exp(-(A @ th)))
    g = A.T @ (p - y) / n; g[:-1] += lam * th[:-1]
    H = (A.T * (p * (1 - p))) @ A / n; H[np.arange(5), np.arange(5)] += lam
    th = th - np.linalg.solve(H, g)
print('polished', [repr(a) for a in th], 'moved', np.abs(th - np.append(w, b)).max())
