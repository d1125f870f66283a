// SPDX-License-Identifier: MIT
// Parameter counts derived by hand from the reference construction code (score_sde_pytorch
// models/ncsnpp.py + layerspp.py + layers.py for NCSN++/DDPM++; models/ncsnv2.py + layers.py and
// ermongroup/ncsnv2's InstanceNorm2dPlus for NCSNv2), as arithmetic over layer sizes only: no code
// is shared with src/models, so a wrong block, a missing layer or a miscounted skip shows up here.
// Trainable parameters; the NCSN++ Fourier frequencies (a requires_grad=False nn.Parameter in the
// reference, a buffer here) are reported separately.

const conv = (i: number, o: number, k: number, bias = true) => k * k * i * o + (bias ? o : 0);
const linear = (i: number, o: number) => i * o + o;
const gn = (c: number) => 2 * c;
const nin = (i: number, o: number) => i * o + o;

export interface NCSNppCountConfig {
  imageSize: number;
  numChannels: number;
  nf: number;
  chMult: readonly number[];
  numResBlocks: number;
  attnResolutions: readonly number[];
  resampWithConv: boolean;
  conditional: boolean;
  resblockType: 'biggan' | 'ddpm';
  progressive: 'none' | 'output_skip' | 'residual';
  progressiveInput: 'none' | 'input_skip' | 'residual';
  progressiveCombine: 'sum' | 'cat';
  embeddingType: 'fourier' | 'positional';
}

/** { trainable, fourier }: NCSNpp.__init__ walked with sizes only. */
export function ncsnppCount(c: NCSNppCountConfig): { trainable: number; fourier: number } {
  const nf = c.nf, temb = 4 * nf, nres = c.chMult.length, C = c.numChannels;
  const res = (i: number, o: number, resample = false) =>
    gn(i) + conv(i, o, 3) + linear(temb, o) + gn(o) + conv(o, o, 3) +
    (c.resblockType === 'ddpm' ? (i !== o ? nin(i, o) : 0) : i !== o || resample ? conv(i, o, 1) : 0);
  const attn = (ch: number) => gn(ch) + 4 * nin(ch, ch);
  const resamplerConv = (i: number, o: number) => conv(i, o, 3); // ddpm_conv3x3 or StyleGAN Conv2d(kernel 3): same size
  const resolutions = c.chMult.map((_, i) => c.imageSize / 2 ** i);

  let n = 0;
  const fourier = c.embeddingType === 'fourier' ? nf : 0;
  if (c.conditional) n += linear(c.embeddingType === 'fourier' ? 2 * nf : nf, temb) + linear(temb, temb);
  n += conv(C, nf, 3);
  const hs = [nf];
  let ch = nf, pyr = C;
  for (let l = 0; l < nres; l++) {
    for (let b = 0; b < c.numResBlocks; b++) {
      n += res(ch, nf * c.chMult[l]);
      ch = nf * c.chMult[l];
      if (c.attnResolutions.includes(resolutions[l])) n += attn(ch);
      hs.push(ch);
    }
    if (l !== nres - 1) {
      n += c.resblockType === 'ddpm' ? (c.resampWithConv ? resamplerConv(ch, ch) : 0) : res(ch, ch, true);
      if (c.progressiveInput === 'input_skip') {
        n += conv(pyr, ch, 1); // Combine's 1x1; the pyramid downsample has no weights
        if (c.progressiveCombine === 'cat') ch *= 2;
      } else if (c.progressiveInput === 'residual') {
        n += resamplerConv(pyr, ch);
        pyr = ch;
      }
      hs.push(ch);
    }
  }
  n += 2 * res(ch, ch) + attn(ch);
  let pyrCh = 0;
  for (let l = nres - 1; l >= 0; l--) {
    for (let b = 0; b < c.numResBlocks + 1; b++) {
      n += res(ch + hs.pop()!, nf * c.chMult[l]);
      ch = nf * c.chMult[l];
    }
    if (c.attnResolutions.includes(resolutions[l])) n += attn(ch);
    if (c.progressive !== 'none') {
      if (l === nres - 1) {
        n += gn(ch) + (c.progressive === 'output_skip' ? conv(ch, C, 3) : conv(ch, ch, 3));
        pyrCh = c.progressive === 'output_skip' ? C : ch;
      } else if (c.progressive === 'output_skip') {
        n += gn(ch) + conv(ch, C, 3);
      } else {
        n += resamplerConv(pyrCh, ch);
        pyrCh = ch;
      }
    }
    if (l !== 0) n += c.resblockType === 'ddpm' ? (c.resampWithConv ? resamplerConv(ch, ch) : 0) : res(ch, ch, true);
  }
  if (hs.length) throw new Error('reference count: skips left over');
  if (c.progressive !== 'output_skip') n += gn(ch) + conv(ch, C, 3);
  return { trainable: n, fourier };
}

export interface NCSNv2CountConfig {
  numChannels: number;
  nf: number;
  /** Conditional InstanceNorm++ over numScales levels (NCSN v1 style). */
  conditionalNorm?: boolean;
  numScales?: number;
}

/** NCSNv2 (< 96 px): begin/end convs, 8 residual blocks, 4 RefineNet blocks, InstanceNorm++ everywhere. */
export function ncsnv2Count(c: NCSNv2CountConfig): number {
  const nf = c.nf, cond = !!c.conditionalNorm, L = c.numScales ?? 1;
  const norm = (f: number) => (cond ? L * 3 * f : 3 * f); // alpha, gamma, beta (per level when conditional)
  const block = (i: number, o: number, down: boolean, dil: number) => {
    let n = norm(i);
    if (down) n += conv(i, i, 3) + norm(i) + (dil > 1 ? conv(i, o, 3) + conv(i, o, 3) : conv(i, o, 3) + conv(i, o, 1));
    else n += conv(i, o, 3) + norm(o) + conv(o, o, 3) + (i !== o ? (dil > 1 ? conv(i, o, 3) : conv(i, o, 1)) : 0);
    return n;
  };
  const rcu = (f: number, nb: number, ns: number) => nb * ns * (conv(f, f, 3, false) + (cond ? norm(f) : 0));
  const crp = (f: number, ns: number) => ns * (conv(f, f, 3, false) + (cond ? norm(f) : 0));
  const msf = (planes: number[], f: number) => planes.reduce((a, p) => a + conv(p, f, 3) + (cond ? norm(p) : 0), 0);
  const refine = (planes: number[], f: number, start = false, end = false) =>
    planes.reduce((a, p) => a + rcu(p, 2, 2), 0) + rcu(f, end ? 3 : 1, 2) + (start ? 0 : msf(planes, f)) + crp(f, 2);
  return conv(c.numChannels, nf, 3) + norm(nf) + conv(nf, c.numChannels, 3) +
    2 * block(nf, nf, false, 1) + block(nf, 2 * nf, true, 1) + block(2 * nf, 2 * nf, false, 1) +
    block(2 * nf, 2 * nf, true, 2) + block(2 * nf, 2 * nf, false, 2) + block(2 * nf, 2 * nf, true, 4) + block(2 * nf, 2 * nf, false, 4) +
    refine([2 * nf], 2 * nf, true) + refine([2 * nf, 2 * nf], 2 * nf) + refine([2 * nf, 2 * nf], nf) + refine([nf, nf], nf, false, true);
}

/** MLPScore: L hidden Linear layers, output Linear, time MLP (2 Linear) and one projection per layer. */
export function mlpScoreCount(dim: number, hidden: number, layers: number, embeddingDim = hidden, timed = true): number {
  let n = linear(dim, hidden) + (layers - 1) * linear(hidden, hidden) + linear(hidden, dim);
  if (timed) n += linear(embeddingDim, hidden) + linear(hidden, hidden) + layers * linear(hidden, hidden);
  return n;
}
