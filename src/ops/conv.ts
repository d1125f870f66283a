// SPDX-License-Identifier: MIT
// 2-D convolution and transposed convolution (NCHW). Three native kernels (forward, input
// gradient, weight gradient) close under differentiation: the gradient of each is made of the
// other two, so any order of derivative stays on the fast kernels.
import { argError, checkKnownKeys, checkOptions, ShapeError, show } from '../errors.js';
import { attachGrad } from '../autograd/node.js';
import { kernels } from '../native.js';
import { Tensor } from '../tensor/tensor.js';
import { sum, sumToShape } from './reduce.js';
import { checkFloatTensor, checkSameDevice, checkSameDType, nc, pair } from './util.js';
import { contiguous } from './view.js';

/** [N, C, H, W, O, KH, KW, OH, OW, sh, sw, ph, pw, dh, dw, groups]: a convolution's geometry. */
type ConvShape = readonly number[];

export interface Conv2dOptions {
  stride?: number | [number, number];
  padding?: number | [number, number];
  dilation?: number | [number, number];
  groups?: number;
}

/**
 * conv2d's fused epilogue: terms added to the output inside the kernel, where each output element
 * is written, instead of by separate ops that each read and write the whole output again (a U-Net
 * block's time embedding and residual connection).
 */
export interface Conv2dEpilogue {
  /** [N, O]: added to every pixel of sample n, channel o (a per-sample bias, e.g. a time embedding) */
  channel?: Tensor | null;
  /** [N, O, OH, OW]: added elementwise (a residual connection) */
  residual?: Tensor | null;
}

export interface ConvTranspose2dOptions extends Conv2dOptions {
  outputPadding?: number | [number, number];
}

const xShape = (s: ConvShape) => [s[0], s[1], s[2], s[3]];
const yShape = (s: ConvShape) => [s[0], s[4], s[7], s[8]];
const wShape = (s: ConvShape) => [s[4], s[1] / s[15], s[5], s[6]];
/** The shape fields of the convolution contracts. */
const convFields = (s: ConvShape) => ({
  N: s[0], C: s[1], H: s[2], W: s[3], O: s[4], KH: s[5], KW: s[6], OH: s[7], OW: s[8],
  strideH: s[9], strideW: s[10], padH: s[11], padW: s[12], dilationH: s[13], dilationW: s[14], groups: s[15],
});

function withContiguous<T>(ts: Tensor[], fn: (cs: Tensor[]) => T): T {
  const cs = ts.map((t) => contiguous(t));
  try {
    return fn(cs);
  } finally {
    cs.forEach((c, i) => c !== ts[i] && c.dispose());
  }
}

/** y = conv(x, w) (+ bias[O]) (+ channel[N, O]) (+ residual[N, O, OH, OW]), in one kernel. */
function convForward(x: Tensor, w: Tensor, bias: Tensor | null, s: ConvShape, channel: Tensor | null = null,
  residual: Tensor | null = null): Tensor {
  const y = Tensor.empty(yShape(s), x.dtype, x.device);
  if (y.size) {
    withContiguous([x, w, bias, channel, residual].filter((t): t is Tensor => t !== null), (cs) => {
      const [xc, wc] = cs;
      let i = 2;
      const next = (t: Tensor | null) => (t ? nc(cs[i++]!) : null);
      const b = next(bias), c = next(channel), r = next(residual);
      kernels.conv2dForward({ ...convFields(s), x: nc(xc!), w: nc(wc!), bias: b, channel: c, residual: r, y: nc(y) });
    });
  }
  return attachGrad(y, 'conv2d', [x, w, bias, channel, residual], [x, w], (g, [x, w], ctx) => [
    ctx.needsGrad[0] ? convInputGrad(g, w, s) : null,
    ctx.needsGrad[1] ? convWeightGrad(x, g, s) : null,
    ctx.needsGrad[2] ? sum(g, [0, 2, 3]) : null,
    ctx.needsGrad[3] ? sum(g, [2, 3]) : null,
    ctx.needsGrad[4] ? sumToShape(g, g.shape) : null,
  ]);
}

/** gx = d<g, conv(x, w)>/dx: the transposed convolution of g with w. */
function convInputGrad(g: Tensor, w: Tensor, s: ConvShape): Tensor {
  const gx = Tensor.empty(xShape(s), g.dtype, g.device);
  if (gx.size) withContiguous([g, w], ([gc, wc]) => kernels.conv2dBackwardInput({ ...convFields(s), gy: nc(gc), w: nc(wc), gx: nc(gx) }));
  return attachGrad(gx, 'conv2dInputGrad', [g, w], [g, w], (gg, [g, w], ctx) => [
    ctx.needsGrad[0] ? convForward(gg, w, null, s) : null,
    ctx.needsGrad[1] ? convWeightGrad(gg, g, s) : null,
  ]);
}

/** gw = d<g, conv(x, w)>/dw. */
function convWeightGrad(x: Tensor, g: Tensor, s: ConvShape): Tensor {
  const gw = Tensor.empty(wShape(s), x.dtype, x.device);
  if (gw.size) withContiguous([x, g], ([xc, gc]) => kernels.conv2dBackwardWeight({ ...convFields(s), x: nc(xc), gy: nc(gc), gw: nc(gw) }));
  return attachGrad(gw, 'conv2dWeightGrad', [x, g], [x, g], (gg, [x, g], ctx) => [
    ctx.needsGrad[0] ? convInputGrad(g, gg, s) : null,
    ctx.needsGrad[1] ? convForward(x, gg, null, s) : null,
  ]);
}

function checkOperands(op: string, x: Tensor, w: Tensor, b: Tensor | null | undefined) {
  const t = checkFloatTensor(op, 'x', x), W = checkFloatTensor(op, 'weight', w);
  const B = b ? checkFloatTensor(op, 'bias', b) : null;
  checkSameDevice(op, t, W, B);
  checkSameDType(op, ['x', 'weight', 'bias'], [t, W, B]);
  if (t.ndim !== 4) throw new ShapeError(`${op}: x must be [N, C, H, W], got ${show([...t.shape])}`);
  if (W.ndim !== 4) throw new ShapeError(`${op}: weight must be 4-D, got ${show([...W.shape])}`);
  return { t, W, B };
}

/**
 * 2-D convolution: x [N, C, H, W], weight [O, C/groups, KH, KW], bias [O]. `opts.channel` [N, O] and
 * `opts.residual` [N, O, OH, OW] are added to the output inside the kernel (see Conv2dEpilogue).
 */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: Conv2dOptions & Conv2dEpilogue = {}): Tensor {
  const op = 'conv2d';
  opts = checkOptions(op, 'options', opts);
  checkKnownKeys(op, 'options', opts, ['stride', 'padding', 'dilation', 'groups', 'channel', 'residual']);
  const { t, W, B } = checkOperands(op, x, weight, bias);
  const [sh, sw] = pair(op, 'stride', opts.stride ?? 1, 1);
  const [ph, pw] = pair(op, 'padding', opts.padding ?? 0, 0);
  const [dh, dw] = pair(op, 'dilation', opts.dilation ?? 1, 1);
  const groups = opts.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) throw argError(op, 'groups', groups, 'a positive integer');
  const [N, C, H, Wd] = t.shape;
  const [O, Cg, KH, KW] = W.shape;
  if (C % groups || O % groups) throw new ShapeError(`${op}: ${C} input and ${O} output channels must both be divisible by groups=${groups}`);
  if (Cg * groups !== C) throw new ShapeError(`${op}: weight ${show([...W.shape])} expects ${Cg * groups} input channels, x has ${C}`);
  if (B && (B.ndim !== 1 || B.shape[0] !== O)) throw new ShapeError(`${op}: bias has shape ${show([...B.shape])}, expected [${O}]`);
  const OH = Math.floor((H + 2 * ph - dh * (KH - 1) - 1) / sh) + 1, OW = Math.floor((Wd + 2 * pw - dw * (KW - 1) - 1) / sw) + 1;
  if (OH <= 0 || OW <= 0) throw new ShapeError(`${op}: input ${H}x${Wd} is too small for kernel ${KH}x${KW} (padding ${ph},${pw}, dilation ${dh},${dw})`);
  const ch = opts.channel ? checkFloatTensor(op, 'channel', opts.channel) : null;
  const res = opts.residual ? checkFloatTensor(op, 'residual', opts.residual) : null;
  checkSameDevice(op, t, ch, res);
  checkSameDType(op, ['x', 'channel', 'residual'], [t, ch, res]);
  if (ch && (ch.ndim !== 2 || ch.shape[0] !== N || ch.shape[1] !== O))
    throw new ShapeError(`${op}: channel has shape ${show([...ch.shape])}, expected [${N}, ${O}]`);
  if (res && (res.ndim !== 4 || res.shape[0] !== N || res.shape[1] !== O || res.shape[2] !== OH || res.shape[3] !== OW))
    throw new ShapeError(`${op}: residual has shape ${show([...res.shape])}, expected [${N}, ${O}, ${OH}, ${OW}]`);
  return convForward(t, W, B, [N, C, H, Wd, O, KH, KW, OH, OW, sh, sw, ph, pw, dh, dw, groups], ch, res);
}

/**
 * Transposed convolution (the gradient of conv2d w.r.t. its input): x [N, Cin, H, W],
 * weight [Cin, Cout/groups, KH, KW], output [N, Cout, (H-1)s - 2p + d(K-1) + outputPadding + 1, ...].
 */
export function convTranspose2d(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: ConvTranspose2dOptions = {}): Tensor {
  const op = 'convTranspose2d';
  opts = checkOptions(op, 'options', opts);
  checkKnownKeys(op, 'options', opts, ['stride', 'padding', 'dilation', 'groups', 'outputPadding']);
  const { t, W, B } = checkOperands(op, x, weight, bias);
  const [sh, sw] = pair(op, 'stride', opts.stride ?? 1, 1);
  const [ph, pw] = pair(op, 'padding', opts.padding ?? 0, 0);
  const [dh, dw] = pair(op, 'dilation', opts.dilation ?? 1, 1);
  const [oph, opw] = pair(op, 'outputPadding', opts.outputPadding ?? 0, 0);
  const groups = opts.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) throw argError(op, 'groups', groups, 'a positive integer');
  if (oph >= Math.max(sh, dh) || opw >= Math.max(sw, dw)) throw argError(op, 'outputPadding', opts.outputPadding, 'smaller than stride or dilation');
  const [N, Cin, H, Wd] = t.shape;
  const [Cin2, Cg, KH, KW] = W.shape;
  if (Cin2 !== Cin) throw new ShapeError(`${op}: weight ${show([...W.shape])} expects ${Cin2} input channels, x has ${Cin}`);
  if (Cin % groups) throw new ShapeError(`${op}: ${Cin} input channels not divisible by groups=${groups}`);
  const Cout = Cg * groups;
  if (B && (B.ndim !== 1 || B.shape[0] !== Cout)) throw new ShapeError(`${op}: bias has shape ${show([...B.shape])}, expected [${Cout}]`);
  const OH = (H - 1) * sh - 2 * ph + dh * (KH - 1) + oph + 1, OW = (Wd - 1) * sw - 2 * pw + dw * (KW - 1) + opw + 1;
  if (OH <= 0 || OW <= 0) throw new ShapeError(`${op}: output size ${OH}x${OW} is not positive`);
  // As a convolution: input = our output [N, Cout, OH, OW], output = our input [N, Cin, H, W].
  const s: ConvShape = [N, Cout, OH, OW, Cin, KH, KW, H, Wd, sh, sw, ph, pw, dh, dw, groups];
  const y = convInputGrad(t, W, s);
  if (!B) return y;
  const out = Tensor.empty(y.shape, y.dtype, y.device);
  kernels.copy({ y: { buffer: out.storage.buffer, offset: 0, shape: out.shape, strides: out.strides }, x: { buffer: B.storage.buffer, offset: B.offset, shape: out.shape, strides: [0, B.strides[0], 0, 0] } });  // bias broadcast
  kernels.binary({ op: 0, p1: 0, p2: 0, y: { buffer: out.storage.buffer, offset: 0, shape: out.shape, strides: out.strides }, a: { buffer: out.storage.buffer, offset: 0, shape: out.shape, strides: out.strides }, b: { buffer: y.storage.buffer, offset: y.offset, shape: y.shape, strides: y.strides } });
  y.dispose();
  return attachGrad(out, 'convTranspose2d', [y, B], [], (g, _s, ctx) => [g, ctx.needsGrad[1] ? sum(g, [0, 2, 3]) : null]);
}
