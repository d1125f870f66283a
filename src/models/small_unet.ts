// SPDX-License-Identifier: MIT
// SmallUNet: exactly the W4 benchmark's ScoreUNet (the PyTorch peer of the benchmarks), module names and
// torch default initialisation included, so a state dict of the PyTorch peer loads unchanged.
// VE parameterisation: the input is sigma [B], the output is already divided by sigma.
import { checkFloatTensor, add, div, mul, cat, matmul, upsampleNearest, softmax, log, silu, reshape, select, transpose } from '../ops/index.js';
import { checkInt, checkOptions, ShapeError, show } from '../errors.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { getActivation, SiLU } from '../nn/activation.js';
import { ModuleList, Sequential } from '../nn/containers.js';
import { Conv2d } from '../nn/conv.js';
import { timestepEmbedding } from '../nn/embedding.js';
import { checkInitOptions, type InitOptions } from '../nn/init.js';
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import { GroupNorm, groupsFor } from '../nn/norm.js';

const SILU = getActivation('silu');

/** GroupNorm(min(C/4, 32), C), torch's eps 1e-5. */
const gn = (c: number, o: InitOptions) => new GroupNorm(groupsFor(c), c, { dtype: o.dtype });

/** h = conv0(SiLU(GN(x))) + Dense(SiLU(temb)); h = conv1(SiLU(GN(h))); (skip(x) + h) / sqrt 2. */
class ResBlock extends Module {
  readonly gn0: GroupNorm;
  readonly conv0: Conv2d;
  readonly temb: Linear;
  readonly gn1: GroupNorm;
  readonly conv1: Conv2d;
  readonly skip: Conv2d | null;

  constructor(cin: number, cout: number, tdim: number, o: InitOptions) {
    super();
    this.gn0 = this.module('gn0', gn(cin, o));
    this.conv0 = this.module('conv0', new Conv2d(cin, cout, 3, { padding: 1, ...o }));
    this.temb = this.module('temb', new Linear(tdim, cout, o));
    this.gn1 = this.module('gn1', gn(cout, o));
    this.conv1 = this.module('conv1', new Conv2d(cout, cout, 3, { padding: 1, ...o }));
    this.skip = cin !== cout ? this.module('skip', new Conv2d(cin, cout, 1, o)) : null;
  }

  /** tembAct = SiLU(temb), computed once per forward and shared by every block. */
  forward(x: Tensor, tembAct: Tensor): Tensor {
    return tidy(() => {
      // the time embedding and the skip connection are added inside the convolutions (their epilogue)
      let h = this.conv0.forward(this.gn0.forward(x, SILU), { channel: this.temb.forward(tembAct) });
      const s = this.skip ? this.skip.forward(x) : x;
      h = this.conv1.forward(this.gn1.forward(h, SILU), { residual: s });
      return mul(h, Math.SQRT1_2);
    });
  }
}

/** Single-head attention over the H*W positions: (x + proj(attn(qkv(GN(x))))) / sqrt 2. */
class AttnBlock extends Module {
  readonly gn: GroupNorm;
  readonly qkv: Conv2d;
  readonly proj: Conv2d;

  constructor(readonly c: number, o: InitOptions) {
    super();
    this.gn = this.module('gn', gn(c, o));
    this.qkv = this.module('qkv', new Conv2d(c, 3 * c, 1, o));
    this.proj = this.module('proj', new Conv2d(c, c, 1, o));
  }

  forward(x: Tensor): Tensor {
    return tidy(() => {
      const [B, C, H, W] = x.shape;
      const qkv = reshape(this.qkv.forward(this.gn.forward(x)), [B, 3, C, H * W]);
      const q = select(qkv, 1, 0), k = select(qkv, 1, 1), v = select(qkv, 1, 2);
      const a = softmax(mul(matmul(transpose(q), k), 1 / Math.sqrt(C)), -1); // [B, HW(q), HW(k)]
      const h = reshape(matmul(v, transpose(a)), [B, C, H, W]);
      return mul(add(x, this.proj.forward(h)), Math.SQRT1_2);
    });
  }
}

class Down extends Module {
  readonly conv: Conv2d;
  constructor(c: number, o: InitOptions) {
    super();
    this.conv = this.module('conv', new Conv2d(c, c, 3, { stride: 2, padding: 1, ...o }));
  }
  forward(x: Tensor): Tensor {
    return this.conv.forward(x);
  }
}

class Up extends Module {
  readonly conv: Conv2d;
  constructor(c: number, o: InitOptions) {
    super();
    this.conv = this.module('conv', new Conv2d(c, c, 3, { padding: 1, ...o }));
  }
  forward(x: Tensor): Tensor {
    return tidy(() => this.conv.forward(upsampleNearest(x, 2)));
  }
}

export interface SmallUNetOptions extends InitOptions {
  /** Base channels (32). */
  ch?: number;
  /** Channel multipliers per resolution ([1, 2, 2]). */
  chMult?: readonly number[];
  /** ResBlocks per resolution on the way down (2); the way up has one more. */
  numRes?: number;
  /** Resolutions with attention after every ResBlock ([7]). */
  attnRes?: readonly number[];
  /** Image size (28). */
  img?: number;
  /** Image channels (1). */
  inCh?: number;
}

/**
 * The W4 U-Net: stem conv, per level numRes ResBlocks (+ attention at attnRes) and a stride-2
 * conv, a ResBlock-Attn-ResBlock middle, an up path of numRes + 1 ResBlocks per level fed with
 * concatenated skips and nearest x2 + conv upsampling, GN-SiLU-conv head. The noise level enters
 * as sinusoidal(log sigma) -> Linear -> SiLU -> Linear. Defaults give 1,623,169 parameters.
 */
export class SmallUNet extends Module {
  readonly ch: number;
  readonly img: number;
  readonly inCh: number;
  readonly temb: Sequential;
  readonly stem: Conv2d;
  readonly down: ModuleList;
  readonly mid: ModuleList;
  readonly up: ModuleList;
  readonly head_gn: GroupNorm;
  readonly head: Conv2d;

  constructor(o: SmallUNetOptions = {}) {
    super();
    o = checkOptions(new.target.name, 'options', o) as typeof o;
    checkInitOptions('SmallUNet', o);
    const ch = (this.ch = checkInt('SmallUNet', 'ch', o.ch ?? 32, 4));
    const chMult = o.chMult ?? [1, 2, 2];
    const numRes = checkInt('SmallUNet', 'numRes', o.numRes ?? 2, 1);
    const attnRes = o.attnRes ?? [7];
    this.img = checkInt('SmallUNet', 'img', o.img ?? 28, 1);
    this.inCh = checkInt('SmallUNet', 'inCh', o.inCh ?? 1, 1);
    if (this.img % 2 ** (chMult.length - 1)) throw new ShapeError(`SmallUNet: img ${this.img} must be divisible by 2^${chMult.length - 1} (one halving per extra level)`);
    const io: InitOptions = { dtype: o.dtype, generator: o.generator };
    const tdim = 4 * ch;
    this.temb = this.module('temb', new Sequential([new Linear(ch, tdim, io), new SiLU(), new Linear(tdim, tdim, io)]));
    this.stem = this.module('stem', new Conv2d(this.inCh, ch, 3, { padding: 1, ...io }));
    this.down = this.module('down', new ModuleList());
    const hs: number[] = [ch];
    let c = ch, res = this.img;
    chMult.forEach((m, lvl) => {
      for (let i = 0; i < numRes; i++) {
        this.down.append(new ResBlock(c, ch * m, tdim, io));
        c = ch * m;
        if (attnRes.includes(res)) this.down.append(new AttnBlock(c, io));
        hs.push(c);
      }
      if (lvl !== chMult.length - 1) {
        this.down.append(new Down(c, io));
        res /= 2;
        hs.push(c);
      }
    });
    this.mid = this.module('mid', new ModuleList([new ResBlock(c, c, tdim, io), new AttnBlock(c, io), new ResBlock(c, c, tdim, io)]));
    this.up = this.module('up', new ModuleList());
    for (let lvl = chMult.length - 1; lvl >= 0; lvl--) {
      for (let i = 0; i < numRes + 1; i++) {
        this.up.append(new ResBlock(c + hs.pop()!, ch * chMult[lvl], tdim, io));
        c = ch * chMult[lvl];
        if (attnRes.includes(res)) this.up.append(new AttnBlock(c, io));
      }
      if (lvl !== 0) {
        this.up.append(new Up(c, io));
        res *= 2;
      }
    }
    this.head_gn = this.module('head_gn', gn(c, io));
    this.head = this.module('head', new Conv2d(c, this.inCh, 3, { padding: 1, ...io }));
  }

  /** x [B, inCh, img, img], sigma [B] (the VE noise level): returns the score estimate, already / sigma. */
  forward(x: Tensor, sigma: Tensor): Tensor {
    checkFloatTensor('SmallUNet.forward', 'x', x);
    checkFloatTensor('SmallUNet.forward', 'sigma', sigma);
    if (x.ndim !== 4 || x.shape[1] !== this.inCh || x.shape[2] !== this.img || x.shape[3] !== this.img)
      throw new ShapeError(`SmallUNet.forward: x must be [B, ${this.inCh}, ${this.img}, ${this.img}], got ${show([...x.shape])}`);
    if (sigma.ndim !== 1 || sigma.shape[0] !== x.shape[0])
      throw new ShapeError(`SmallUNet.forward: sigma must be [B] = [${x.shape[0]}], got ${show([...sigma.shape])}`);
    return tidy(() => {
      const B = x.shape[0];
      const tembAct = silu(this.temb.forward(timestepEmbedding(log(sigma), this.ch)));
      let h = this.stem.forward(x);
      const hs: Tensor[] = [h];
      for (const m of this.down) {
        if (m instanceof ResBlock) {
          h = m.forward(h, tembAct);
          hs.push(h);
        } else if (m instanceof AttnBlock) {
          h = m.forward(h);
          hs[hs.length - 1] = h;
        } else {
          h = (m as Down).forward(h);
          hs.push(h);
        }
      }
      for (const m of this.mid) h = m instanceof ResBlock ? m.forward(h, tembAct) : (m as AttnBlock).forward(h);
      for (const m of this.up) {
        if (m instanceof ResBlock) h = m.forward(cat([h, hs.pop()!], 1), tembAct);
        else h = (m as AttnBlock | Up).forward(h);
      }
      h = this.head.forward(this.head_gn.forward(h, SILU));
      return div(h, reshape(sigma, [B, 1, 1, 1]));
    });
  }
}
