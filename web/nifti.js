// Volumes for the image viewer: the server's .../images/{i}/volume answer (an uncompressed
// little-endian NIfTI-1 file written by `medgen image convert`) read into a typed array, and
// slices of it in the volume's own index axes. The header is checked field by field against the
// bytes received before anything is allocated or indexed: a short or inconsistent answer is an
// Error, never a wrong picture.

const TYPES = {  // NIfTI datatype code -> [typed array, bytes per voxel]
  2: [Uint8Array, 1], 4: [Int16Array, 2], 8: [Int32Array, 4], 16: [Float32Array, 4],
  64: [Float64Array, 8], 256: [Int8Array, 1], 512: [Uint16Array, 2], 768: [Uint32Array, 4],
};

// parseNifti(ArrayBuffer) -> {dims: [nx, ny, nz], spacing: [dx, dy, dz], data, slope, inter}
export function parseNifti(buf) {
  if (buf.byteLength < 352) throw new Error(`not a NIfTI-1 volume (${buf.byteLength} bytes)`);
  const v = new DataView(buf);
  if (v.getInt32(0, true) !== 348) throw new Error('not a little-endian NIfTI-1 header');
  const rank = v.getInt16(40, true);
  if (rank < 1 || rank > 7) throw new Error(`NIfTI dim[0] ${rank} is out of range`);
  const dims = [1, 2, 3].map(i => (i <= rank ? v.getInt16(40 + 2 * i, true) : 1));
  for (let i = 4; i <= rank; i++) if (v.getInt16(40 + 2 * i, true) > 1) throw new Error('only 3-D volumes are shown');
  if (dims.some(d => d < 1)) throw new Error(`NIfTI dimensions ${dims.join(' x ')} are not positive`);
  const type = TYPES[v.getInt16(70, true)];
  if (!type) throw new Error(`NIfTI datatype ${v.getInt16(70, true)} is not shown`);
  const [Arr, bytes] = type;
  const offset = v.getFloat32(108, true);
  const n = dims[0] * dims[1] * dims[2];
  if (!(offset >= 348) || offset % bytes || offset + n * bytes > buf.byteLength)
    throw new Error(`NIfTI voxel data (${n} voxels at ${offset}) does not fit the ${buf.byteLength} bytes received`);
  const spacing = [1, 2, 3].map(i => {
    const s = Math.abs(v.getFloat32(76 + 4 * i, true));
    return Number.isFinite(s) && s > 0 ? s : 1;
  });
  let slope = v.getFloat32(112, true), inter = v.getFloat32(116, true);
  if (!Number.isFinite(slope) || slope === 0) { slope = 1; inter = 0; }
  if (!Number.isFinite(inter)) inter = 0;
  return { dims, spacing, data: new Arr(buf, offset, n), slope, inter };
}

export const PLANES = {
  // fixed axis, then the image's x (columns) and y (rows, drawn bottom-up) axes
  axial: { fixed: 2, x: 0, y: 1 },
  coronal: { fixed: 1, x: 0, y: 2 },
  sagittal: { fixed: 0, x: 1, y: 2 },
};

export function sliceCount(vol, plane) { return vol.dims[PLANES[plane].fixed]; }

// One slice as a Float32Array of width * height values (row 0 at the top), with its geometry.
export function slice(vol, plane, index) {
  const p = PLANES[plane];
  const [nx, ny] = vol.dims;
  const stride = [1, nx, nx * ny];
  const w = vol.dims[p.x], h = vol.dims[p.y];
  const k = Math.max(0, Math.min(vol.dims[p.fixed] - 1, index));
  const out = new Float32Array(w * h);
  const { data, slope, inter } = vol;
  const base = k * stride[p.fixed], sx = stride[p.x], sy = stride[p.y];
  for (let row = 0; row < h; row++) {
    const y = h - 1 - row;  // superior / anterior up
    let at = base + y * sy;
    const o = row * w;
    for (let x = 0; x < w; x++, at += sx) out[o + x] = data[at] * slope + inter;
  }
  return { values: out, width: w, height: h, aspect: vol.spacing[p.y] / vol.spacing[p.x], index: k };
}

// Robust display range of a volume: the 1st and 99.5th percentiles of a strided sample.
export function percentiles(vol, lo = 0.01, hi = 0.995) {
  const n = vol.data.length;
  const step = Math.max(1, Math.floor(n / 200000));
  const sample = new Float32Array(Math.ceil(n / step));
  let m = 0;
  for (let i = 0; i < n; i += step) {
    const x = vol.data[i] * vol.slope + vol.inter;
    if (Number.isFinite(x)) sample[m++] = x;
  }
  const s = sample.subarray(0, m).sort();
  if (!m) return [0, 1];
  const a = s[Math.floor(lo * (m - 1))], b = s[Math.floor(hi * (m - 1))];
  return b > a ? [a, b] : [s[0], s[m - 1] > s[0] ? s[m - 1] : s[0] + 1];
}

// Grey levels of a slice through a window (center, width) into RGBA pixels.
export function toGrey(sl, center, width, rgba) {
  const lo = center - width / 2, scale = 255 / Math.max(width, 1e-6);
  const v = sl.values;
  for (let i = 0, j = 0; i < v.length; i++, j += 4) {
    let g = (v[i] - lo) * scale;
    g = g < 0 ? 0 : g > 255 ? 255 : g;
    rgba[j] = rgba[j + 1] = rgba[j + 2] = g;
    rgba[j + 3] = 255;
  }
}

// A map as a colour layer with the "hot" scale (black-red-yellow-white) for drawing over a
// slice: values scaled to [lo, hi]; below 5% of the range transparent; `opacity` 0..1.
export function hotLayer(sl, lo, hi, opacity, rgba) {
  const v = sl.values, span = Math.max(hi - lo, 1e-6);
  for (let i = 0, j = 0; i < v.length; i++, j += 4) {
    const t = (v[i] - lo) / span;
    if (!(t > 0.05)) { rgba[j + 3] = 0; continue; }
    const u = Math.min(t, 1);
    rgba[j] = Math.min(1, u * 3) * 255;
    rgba[j + 1] = Math.min(1, Math.max(0, u * 3 - 1)) * 255;
    rgba[j + 2] = Math.max(0, u * 3 - 2) * 255;
    rgba[j + 3] = 255 * opacity * Math.min(1, 0.35 + u);
  }
}
