#!/usr/bin/python3
"""TensorFlow.js graph model (model.json + weight shards) -> a PyTorch module with trainable weights.

A small interpreter of the graph's ops, enough for the convolutional detectors and pose nets that
npm packages ship (issue 13): Conv2D, DepthwiseConv2dNative, their fused forms (_FusedConv2D,
FusedDepthwiseConv2dNative with BiasAdd / Relu / Relu6 / LeakyRelu / Elu / Sigmoid /
FusedBatchNorm), FusedBatchNorm(V3), Add/AddV2/Sub/Mul/RealDiv/Maximum/Minimum, Relu/Relu6/
LeakyRelu/Sigmoid/Tanh, MaxPool/AvgPool, Pad/PadV2, ResizeBilinear/ResizeNearestNeighbor,
ConcatV2, Reshape, Transpose, SplitV/Split, Identity, Cast. Tensors keep TF's layout (NHWC) and
semantics, including SAME padding's asymmetric split (the extra row/column goes after, bottom and
right) and the legacy resize modes (align_corners / half_pixel_centers).

Weights are dequantized the way tfjs does it: float16 shards are widened, uint8/uint16 shards are
`q * scale + min` from the manifest's quantization entry. Every float constant becomes an
nn.Parameter (conv filters are stored in torch's OIHW layout), so the imported layers can be
fine-tuned. `models/convert-check.py` checks this interpreter against the graph run by
@tensorflow/tfjs itself.

Usage:
    g = TfjsGraph('.../nanodet.json', outputs=['PartitionedCall/onnx_tf_prefix_Add_107'])
    y = g(x_in_the_graphs_own_input_layout)   # returns a list, one tensor per requested output
"""
import json
import os
import re

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

_DT = {'float32': np.float32, 'int32': np.int32, 'bool': np.bool_}


def load_weights(model_json: str) -> dict:
    """name -> numpy array, dequantized as tfjs does."""
    spec = json.load(open(model_json))
    base = os.path.dirname(os.path.abspath(model_json))
    out = {}
    for group in spec['weightsManifest']:
        buf = b''.join(open(os.path.join(base, p), 'rb').read() for p in group['paths'])
        off = 0
        for w in group['weights']:
            shape = [int(s) for s in w['shape']]
            n = int(np.prod(shape)) if shape else 1
            q = w.get('quantization')
            if q:
                qdt = {'float16': np.float16, 'uint8': np.uint8, 'uint16': np.uint16}[q['dtype']]
                raw = np.frombuffer(buf, qdt, n, off)
                off += n * np.dtype(qdt).itemsize
                if q['dtype'] == 'float16':
                    arr = raw.astype(np.float32)
                else:
                    arr = raw.astype(np.float32) * np.float32(q['scale']) + np.float32(q['min'])
                arr = arr.astype(_DT.get(w['dtype'], np.float32))
            else:
                dt = _DT[w['dtype']]
                arr = np.frombuffer(buf, dt, n, off).copy()
                off += n * np.dtype(dt).itemsize
            out[w['name']] = arr.reshape(shape)
    return out


def _s(attr, key, default=None):
    v = attr.get(key)
    if v is None:
        return default
    if 's' in v:
        import base64
        return base64.b64decode(v['s']).decode()
    if 'b' in v:
        return bool(v['b'])
    if 'f' in v:
        return float(v['f'])
    if 'i' in v:
        return int(v['i'])
    if 'list' in v:
        lst = v['list']
        if 'i' in lst:
            return [int(i) for i in lst['i']]
        if 's' in lst:
            import base64
            return [base64.b64decode(s).decode() for s in lst['s']]
        if 'f' in lst:
            return [float(f) for f in lst['f']]
        return []
    return default


def _ref(name):
    """'node:1' -> ('node', 1); '^ctrl' dependencies are dropped by the caller."""
    m = re.match(r'^(.*?)(?::(\d+))?$', name)
    return m.group(1), int(m.group(2) or 0)


def same_pad(n, k, s, d=1):
    """TF SAME padding for one spatial dim: (before, after); the odd pixel goes after."""
    out = -(-n // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
    return total // 2, total - total // 2


def _resize_index(n_in, n_out, align, half):
    """Source coordinates of TF's bilinear resize for one axis."""
    if align and n_out > 1:
        scale = (n_in - 1) / (n_out - 1)
    else:
        scale = n_in / n_out
    i = torch.arange(n_out, dtype=torch.float32)
    if half:
        src = (i + 0.5) * scale - 0.5
    else:
        src = i * scale
    src = src.clamp(min=0)  # TF clamps the lower index at 0 (half-pixel gives -0.25 at the edge)
    lo = src.floor().clamp(max=n_in - 1)
    frac = src - lo
    lo = lo.long()
    hi = (lo + 1).clamp(max=n_in - 1)
    return lo, hi, frac


def resize_bilinear_nhwc(x, oh, ow, align=False, half=False):
    _, h, w, _ = x.shape
    if half and not align:
        # identical to TF's half-pixel bilinear and cheaper to export
        y = F.interpolate(x.permute(0, 3, 1, 2), size=(oh, ow), mode='bilinear', align_corners=False)
        return y.permute(0, 2, 3, 1)
    if align and not half:
        y = F.interpolate(x.permute(0, 3, 1, 2), size=(oh, ow), mode='bilinear', align_corners=True)
        return y.permute(0, 2, 3, 1)
    y0, y1, fy = _resize_index(h, oh, align, half)
    x0, x1, fx = _resize_index(w, ow, align, half)
    top = x[:, y0]
    bot = x[:, y1]
    fy = fy.view(1, -1, 1, 1)
    rows = top + (bot - top) * fy
    left = rows[:, :, x0]
    right = rows[:, :, x1]
    return left + (right - left) * fx.view(1, 1, -1, 1)


class TfjsGraph(nn.Module):
    """Runs the subgraph of a tfjs graph model that the requested `outputs` depend on.

    `resize='relative'` makes every resize op scale by the factor it has at the graph's native
    input size, so the net runs at another input size (the constants in such graphs are sizes for
    the native input). `input_shape` is the native input shape in the graph's layout.
    """

    def __init__(self, model_json, outputs, input_name=None, resize='relative', native_shape=None,
                 feeds=None, calib_feeds=None):
        super().__init__()
        # feeds: node names whose values forward() is given (a subgraph above cached features);
        # calib_feeds: example tensors for them at the native input size (for relative resizes)
        self.feeds = list(feeds or [])
        spec = json.load(open(model_json))
        self.nodes = {n['name']: n for n in spec['modelTopology']['node']}
        weights = load_weights(model_json)
        for n in self.nodes.values():
            if n['op'] == 'Placeholder' and (input_name is None or n['name'] == input_name):
                input_name = n['name']
                dims = n.get('attr', {}).get('shape', {}).get('shape', {}).get('dim', [])
                self.native_shape = native_shape or [int(d.get('size', -1)) for d in dims]
                self.input_dtype = n.get('attr', {}).get('dtype', {}).get('type', 'DT_FLOAT')
                break
        self.input_name = input_name
        self.outputs = list(outputs)
        # topological order of the needed nodes
        order, seen = [], set()

        def visit(name):
            stack = [(name, False)]
            while stack:
                nm, done = stack.pop()
                if done:
                    order.append(nm)
                    continue
                if nm in seen:
                    continue
                seen.add(nm)
                stack.append((nm, True))
                if nm in self.feeds:
                    continue
                for inp in self.nodes[nm].get('input', []):
                    if inp.startswith('^'):
                        continue
                    src, _ = _ref(inp)
                    if src not in seen:
                        stack.append((src, False))
        for o in self.outputs:
            visit(_ref(o)[0])
        self.order = order
        self.params = nn.ParameterDict()
        self.ints = {}
        self.pkey = {}
        conv_filters = {}
        for nm in order:
            n = self.nodes[nm]
            if n['op'] in ('Conv2D', '_FusedConv2D'):
                conv_filters[_ref(n['input'][1])[0]] = 'conv'
            elif n['op'] in ('DepthwiseConv2dNative', 'FusedDepthwiseConv2dNative'):
                conv_filters[_ref(n['input'][1])[0]] = 'dw'
        for nm in order:
            n = self.nodes[nm]
            if n['op'] != 'Const':
                continue
            if nm in weights:
                arr = weights[nm]
            else:
                arr = self._inline_const(n)
            if arr.dtype.kind == 'f':
                key = 'p%d' % len(self.params)
                kind = conv_filters.get(nm)
                t = torch.from_numpy(np.ascontiguousarray(arr)).float()
                if kind == 'conv':  # HWIO -> OIHW
                    t = t.permute(3, 2, 0, 1).contiguous()
                elif kind == 'dw':  # H W C M -> (C*M) 1 H W
                    h, w, c, m = t.shape
                    t = t.permute(2, 3, 0, 1).reshape(c * m, 1, h, w).contiguous()
                self.params[key] = nn.Parameter(t)
                self.pkey[nm] = key
            else:
                self.ints[nm] = arr
        self.scale = {}  # resize node -> (fy, fx) at the native input size
        self.resize_mode = resize
        if resize == 'relative' and any(self.nodes[nm]['op'].startswith('Resize') for nm in order):
            with torch.no_grad():
                self._calibrating = True
                if self.feeds:
                    self.forward(*calib_feeds)
                else:
                    self.forward(torch.zeros(*[d if d > 0 else 1 for d in self.native_shape]))
                self._calibrating = False

    @staticmethod
    def _inline_const(n):
        t = n['attr']['value']['tensor']
        dims = [int(d['size']) for d in t.get('tensorShape', {}).get('dim', [])]
        dt = t['dtype']
        if 'floatVal' in t:
            vals = np.array(t['floatVal'], np.float32)
        elif 'intVal' in t:
            vals = np.array(t['intVal'], np.int32)
        elif dt == 'DT_FLOAT':
            vals = np.zeros(1, np.float32)
        else:
            vals = np.zeros(1, np.int32)
        n_el = int(np.prod(dims)) if dims else 1
        if vals.size == 1 and n_el != 1:
            vals = np.full(n_el, vals[0], vals.dtype)
        return vals.reshape(dims)

    # ---------------------------------------------------------------- ops
    def _const(self, name):
        if name in self.pkey:
            return self.params[self.pkey[name]]
        return self.ints[name]

    def _conv(self, n, x, w, depthwise):
        a = n.get('attr', {})
        fmt = _s(a, 'data_format', 'NHWC')
        strides = _s(a, 'strides', [1, 1, 1, 1])
        dil = _s(a, 'dilations', [1, 1, 1, 1]) or [1, 1, 1, 1]
        pad = _s(a, 'padding', 'VALID')
        if fmt == 'NHWC':
            x = x.permute(0, 3, 1, 2)
            sh, sw = strides[1], strides[2]
            dh, dw_ = dil[1], dil[2]
        else:
            sh, sw = strides[2], strides[3]
            dh, dw_ = dil[2], dil[3]
        kh, kw = w.shape[2], w.shape[3]
        if pad == 'SAME':
            ph = same_pad(x.shape[2], kh, sh, dh)
            pw = same_pad(x.shape[3], kw, sw, dw_)
            if ph[0] == ph[1] and pw[0] == pw[1]:
                padding = (ph[0], pw[0])
            else:
                x = F.pad(x, (pw[0], pw[1], ph[0], ph[1]))
                padding = 0
        elif pad == 'EXPLICIT':
            ep = _s(a, 'explicit_paddings', [])
            ep = [ep[i:i + 2] for i in range(0, len(ep), 2)]
            hh, ww = (ep[1], ep[2]) if fmt == 'NHWC' else (ep[2], ep[3])
            x = F.pad(x, (ww[0], ww[1], hh[0], hh[1]))
            padding = 0
        else:
            padding = 0
        groups = x.shape[1] if depthwise else 1
        y = F.conv2d(x, w, None, (sh, sw), padding, (dh, dw_), groups)
        return y.permute(0, 2, 3, 1) if fmt == 'NHWC' else y

    @staticmethod
    def _act(name, y, a, extra=None):
        if name == 'Relu':
            return F.relu(y)
        if name == 'Relu6':
            return F.relu6(y)
        if name == 'Elu':
            return F.elu(y)
        if name == 'Sigmoid':
            return torch.sigmoid(y)
        if name == 'Tanh':
            return torch.tanh(y)
        if name == 'LeakyRelu':
            return F.leaky_relu(y, _s(a, 'leakyrelu_alpha', 0.2))
        if name == 'Prelu':
            return torch.where(y >= 0, y, y * extra)
        raise NotImplementedError('fused activation ' + name)

    def forward(self, *xs):
        if self.feeds:
            env = {f: [t] for f, t in zip(self.feeds, xs)}
        else:
            env = {self.input_name: [xs[0]]}
        calibrating = getattr(self, '_calibrating', False)
        for nm in self.order:
            n = self.nodes[nm]
            op = n['op']
            a = n.get('attr', {})
            if op == 'Placeholder' or nm in self.feeds:
                continue
            if op == 'Const':
                env[nm] = [self._const(nm)]
                continue
            ins = []
            for i in n.get('input', []):
                if i.startswith('^'):
                    continue
                src, k = _ref(i)
                ins.append(env[src][k])
            env[nm] = self._run(nm, op, a, ins, calibrating)
        return [env[_ref(o)[0]][_ref(o)[1]] for o in self.outputs]

    def _run(self, nm, op, a, ins, calibrating):
        if op in ('Identity', 'StopGradient', 'Snapshot'):
            return [ins[0]]
        if op in ('Conv2D', 'DepthwiseConv2dNative'):
            return [self._conv(self.nodes[nm], ins[0], ins[1], op != 'Conv2D')]
        if op in ('_FusedConv2D', 'FusedDepthwiseConv2dNative'):
            y = self._conv(self.nodes[nm], ins[0], ins[1], op != '_FusedConv2D')
            fused = _s(a, 'fused_ops', [])
            rest = ins[2:]
            for f in fused:
                if f == 'BiasAdd':
                    y = y + rest.pop(0)
                elif f == 'FusedBatchNorm':
                    scale, offset, mean, var = rest[:4]
                    rest = rest[4:]
                    eps = _s(a, 'epsilon', 1e-3)
                    y = (y - mean) * (scale / torch.sqrt(var + eps)) + offset
                else:
                    y = self._act(f, y, a, rest[0] if (f == 'Prelu' and rest) else None)
            return [y]
        if op in ('FusedBatchNorm', 'FusedBatchNormV3'):
            x, scale, offset, mean, var = ins[:5]
            eps = _s(a, 'epsilon', 1e-3)
            return [(x - mean) * (scale / torch.sqrt(var + eps)) + offset]
        if op == 'BiasAdd':
            return [ins[0] + ins[1]]
        if op in ('Add', 'AddV2'):
            return [ins[0] + ins[1]]
        if op == 'AddN':
            y = ins[0]
            for t in ins[1:]:
                y = y + t
            return [y]
        if op == 'Sub':
            return [ins[0] - ins[1]]
        if op == 'Mul':
            return [ins[0] * ins[1]]
        if op == 'RealDiv':
            return [ins[0] / ins[1]]
        if op == 'Maximum':
            return [torch.maximum(torch.as_tensor(ins[0]), torch.as_tensor(ins[1]))]
        if op == 'Minimum':
            return [torch.minimum(torch.as_tensor(ins[0]), torch.as_tensor(ins[1]))]
        if op == 'Relu':
            return [F.relu(ins[0])]
        if op == 'Relu6':
            return [F.relu6(ins[0])]
        if op == 'LeakyRelu':
            return [F.leaky_relu(ins[0], _s(a, 'alpha', 0.2))]
        if op == 'Sigmoid':
            return [torch.sigmoid(ins[0])]
        if op == 'Tanh':
            return [torch.tanh(ins[0])]
        if op == 'Elu':
            return [F.elu(ins[0])]
        if op in ('Pad', 'PadV2', 'MirrorPad'):
            p = np.asarray(ins[1]).reshape(-1, 2).tolist()
            flat = []
            for lo, hi in reversed(p):
                flat += [int(lo), int(hi)]
            val = float(ins[2]) if op == 'PadV2' else 0.0
            return [F.pad(ins[0], flat, value=val)]
        if op == 'Transpose':
            return [ins[0].permute(*[int(i) for i in np.asarray(ins[1]).tolist()])]
        if op in ('MaxPool', 'AvgPool'):
            x = ins[0]
            fmt = _s(a, 'data_format', 'NHWC')
            k = _s(a, 'ksize')
            s = _s(a, 'strides')
            if fmt == 'NHWC':
                x = x.permute(0, 3, 1, 2)
                k, s = k[1:3], s[1:3]
            else:
                k, s = k[2:4], s[2:4]
            if _s(a, 'padding') == 'SAME':
                ph = same_pad(x.shape[2], k[0], s[0])
                pw = same_pad(x.shape[3], k[1], s[1])
                if op == 'MaxPool':
                    x = F.pad(x, (pw[0], pw[1], ph[0], ph[1]), value=float('-inf'))
                    y = F.max_pool2d(x, k, s)
                else:  # TF's SAME average excludes the padding
                    ones = torch.ones_like(x[:, :1])
                    xs = F.avg_pool2d(F.pad(x, (pw[0], pw[1], ph[0], ph[1])), k, s)
                    cnt = F.avg_pool2d(F.pad(ones, (pw[0], pw[1], ph[0], ph[1])), k, s)
                    y = xs / cnt
            else:
                y = F.max_pool2d(x, k, s) if op == 'MaxPool' else F.avg_pool2d(x, k, s)
            return [y.permute(0, 2, 3, 1) if fmt == 'NHWC' else y]
        if op == 'ConcatV2':
            axis = int(np.asarray(ins[-1]))
            return [torch.cat(ins[:-1], axis)]
        if op in ('ResizeBilinear', 'ResizeNearestNeighbor'):
            x = ins[0]
            oh, ow = [int(v) for v in np.asarray(ins[1]).tolist()]
            if self.resize_mode == 'relative':
                if calibrating:
                    self.scale[nm] = (oh / int(x.shape[1]), ow / int(x.shape[2]))
                else:
                    fy, fx = self.scale[nm]
                    oh, ow = int(round(int(x.shape[1]) * fy)), int(round(int(x.shape[2]) * fx))
            align, half = _s(a, 'align_corners', False), _s(a, 'half_pixel_centers', False)
            if op == 'ResizeBilinear':
                return [resize_bilinear_nhwc(x, oh, ow, align, half)]
            # nearest: TF legacy (no half-pixel) takes floor(i * in / out)
            h, w = x.shape[1], x.shape[2]
            if half:
                iy = ((torch.arange(oh) + 0.5) * (h / oh)).floor().long().clamp(max=h - 1)
                ix = ((torch.arange(ow) + 0.5) * (w / ow)).floor().long().clamp(max=w - 1)
            else:
                iy = (torch.arange(oh) * (h / oh)).floor().long().clamp(max=h - 1)
                ix = (torch.arange(ow) * (w / ow)).floor().long().clamp(max=w - 1)
            return [x[:, iy][:, :, ix]]
        if op == 'Reshape':
            return [ins[0].reshape(*[int(v) for v in np.asarray(ins[1]).tolist()])]
        if op in ('SplitV', 'Split'):
            if op == 'SplitV':
                x, sizes, axis = ins[0], [int(v) for v in np.asarray(ins[1]).tolist()], int(np.asarray(ins[2]))
                return list(torch.split(x, sizes, axis))
            axis, x = int(np.asarray(ins[0])), ins[1]
            return list(torch.chunk(x, _s(a, 'num_split'), axis))
        if op == 'Cast':
            dst = a.get('DstT', {}).get('type', 'DT_FLOAT')
            x = ins[0]
            if isinstance(x, np.ndarray):
                return [x.astype(np.float32 if dst == 'DT_FLOAT' else np.int32)]
            return [x.float() if dst == 'DT_FLOAT' else x.round().to(torch.int32)]
        if op == 'Unpack':
            axis = _s(a, 'axis', 0)
            return list(torch.unbind(ins[0], axis))
        if op == 'Pack':
            return [torch.stack([torch.as_tensor(t) for t in ins], _s(a, 'axis', 0))]
        if op == 'ExpandDims':
            return [ins[0].unsqueeze(int(np.asarray(ins[1]).reshape(-1)[0]))]
        if op == 'Squeeze':
            dims = _s(a, 'squeeze_dims', []) or _s(a, 'axis', [])
            x = ins[0]
            for d in sorted(dims, reverse=True):
                x = x.squeeze(d)
            return [x]
        raise NotImplementedError('op %s (%s)' % (op, nm))


def count_macs(module, x):
    """Multiply-accumulates of the convolutions and matmuls one forward pass runs (hooks on
    F.conv2d calls through a tracing pass)."""
    total = [0]
    orig = F.conv2d

    def conv2d(inp, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
        y = orig(inp, weight, bias, stride, padding, dilation, groups)
        total[0] += y.numel() // y.shape[0] * weight.shape[1] * weight.shape[2] * weight.shape[3]
        return y
    F.conv2d = conv2d
    try:
        with torch.no_grad():
            module(x)
    finally:
        F.conv2d = orig
    return total[0]
