// SPDX-License-Identifier: MIT
// Exponentially scaled modified Bessel functions i0e(x) = e^{−|x|} I0(x), i1e(x) = e^{−|x|} I1(x),
// for the closed-form density of blurred circles (the `rings` toy). Polynomial approximations of
// Abramowitz & Stegun 9.8.1–9.8.4 (as in Numerical Recipes' bessi0/bessi1): relative error below
// 2e-7 over the whole real line, which is ample for log-densities and scores of toy data. Scaling
// matters: the rings' arguments reach ~2000, where I0 itself overflows a double.

export function besselI0e(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3.75) {
    const y = (x / 3.75) ** 2;
    const i0 = 1 + y * (3.5156229 + y * (3.0899424 + y * (1.2067492 + y * (0.2659732 + y * (0.0360768 + y * 0.0045813)))));
    return i0 * Math.exp(-ax);
  }
  const y = 3.75 / ax;
  const p = 0.39894228 + y * (0.01328592 + y * (0.00225319 + y * (-0.00157565 + y * (0.00916281 + y * (-0.02057706 + y * (0.02635537 + y * (-0.01647633 + y * 0.00392377)))))));
  return p / Math.sqrt(ax);
}

export function besselI1e(x: number): number {
  const ax = Math.abs(x);
  let v: number;
  if (ax < 3.75) {
    const y = (x / 3.75) ** 2;
    v = ax * (0.5 + y * (0.87890594 + y * (0.51498869 + y * (0.15084934 + y * (0.02658733 + y * (0.00301532 + y * 0.00032411)))))) * Math.exp(-ax);
  } else {
    const y = 3.75 / ax;
    const p = 0.39894228 + y * (-0.03988024 + y * (-0.00362018 + y * (0.00163801 + y * (-0.01031555 + y * (0.02282967 + y * (-0.02895312 + y * (0.01787654 - y * 0.00420059)))))));
    v = p / Math.sqrt(ax);
  }
  return x < 0 ? -v : v;
}
