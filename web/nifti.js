// Volumes for the image viewer: the server's .../images/{i}/volume answer (an uncompressed
// little-endian NIfTI-1 file written by `medgen image convert`) read into a typed array, and
// slices of it. The header is checked field by field against the
// bytes received before anything is allocated or indexed: a short or inconsistent answer is an
// Error, never a wrong picture. Slices are cut along the patient's axes (the header's sform or
// qform), whatever order and direction the voxels were stored in.

const TYPES = {  // NIfTI datatype code -> [typed array, bytes per voxel]
  2: [Uint8Array, 1], 4: [Int16Array, 2], 8: [Int32Array, 4], 16: [Float32Array, 4],
  64: [Float64Array, 8], 256: [Int8Array, 1], 512: [Uint16Array, 2], 768: [Uint32Array, 4],
};

// The patient's axes in NIfTI's RAS+ world: x runs left to right, y posterior to anterior, z
// inferior to superior; a volume's voxel axes lie along them in any order and direction.
const WORLD_ENDS = [['L', 'R'], ['P', 'A'], ['I', 'S']];

// The voxel axis nearest each world axis and whether its index runs against it, from the sform
// (sform_code > 0), else the qform (qform_code > 0), else none known (the index axes as they are).
// Each world axis takes the voxel axis with the largest share of it, largest first.
function orientation(v) {
  const sform = v.getInt16(254, true), qform = v.getInt16(252, true);
  let m = null;  // m[world][voxel]: the direction cosines (or the affine's columns)
  if (sform > 0) {
    m = [0, 1, 2].map(r => [0, 1, 2].map(c => v.getFloat32(280 + 16 * r + 4 * c, true)));
  } else if (qform > 0) {
    const b = v.getFloat32(256, true), c = v.getFloat32(260, true), d = v.getFloat32(264, true);
    const a = Math.sqrt(Math.max(0, 1 - (b * b + c * c + d * d)));
    const q = v.getFloat32(76, true) < 0 ? -1 : 1;  // pixdim[0]: qfac
    m = [[a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c) * q],
      [2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b) * q],
      [2 * (b * d - a * c), 2 * (c * d + a * b), (a * a + d * d - c * c - b * b) * q]];
  }
  const none = { perm: [0, 1, 2], flip: [false, false, false], known: false };
  if (!m || m.some(r => r.some(x => !Number.isFinite(x)))) return none;
  const perm = [-1, -1, -1], flip = [false, false, false];
  for (let step = 0; step < 3; step++) {
    let best = 0, bw = -1, bv = -1;
    for (let w = 0; w < 3; w++) {
      if (perm[w] >= 0) continue;
      for (let x = 0; x < 3; x++)
        if (!perm.includes(x) && Math.abs(m[w][x]) > best) { best = Math.abs(m[w][x]); bw = w; bv = x; }
    }
    if (bw < 0) return none;  // a degenerate affine
    perm[bw] = bv;
    flip[bw] = m[bw][bv] < 0;
  }
  return { perm, flip, known: true };
}

// parseNifti(ArrayBuffer) -> {dims: [nx, ny, nz], spacing: [dx, dy, dz], data, slope, inter,
// orient: {perm, flip, known}} (orient: the voxel axis along each world axis, see orientation())
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
  return { dims, spacing, data: new Arr(buf, offset, n), slope, inter, orient: orientation(v) };
}

export const PLANES = {
  // the world axis a slice is cut across, then the world axes of the image's x (columns, left to
  // right) and y (rows, drawn bottom-up): the patient's left on the left, anterior or superior up
  axial: { fixed: 2, x: 0, y: 1 },
  coronal: { fixed: 1, x: 0, y: 2 },
  sagittal: { fixed: 0, x: 1, y: 2 },
};

// A world axis of vol as a walk through its voxels: count, signed stride, first offset, spacing.
function along(vol, world) {
  const { perm, flip } = vol.orient || { perm: [0, 1, 2], flip: [false, false, false] };
  const axis = perm[world], n = vol.dims[axis];
  const stride = [1, vol.dims[0], vol.dims[0] * vol.dims[1]][axis];
  return { n, step: flip[world] ? -stride : stride, start: flip[world] ? stride * (n - 1) : 0, spacing: vol.spacing[axis] };
}

export function sliceCount(vol, plane) { return along(vol, PLANES[plane].fixed).n; }

// The patient's side at each edge of a plane's image ({left, right, top, bottom}: L R A P S I),
// or null when the volume says nothing of its orientation.
export function planeLabels(vol, plane) {
  if (!vol.orient || !vol.orient.known) return null;
  const p = PLANES[plane];
  return { left: WORLD_ENDS[p.x][0], right: WORLD_ENDS[p.x][1], top: WORLD_ENDS[p.y][1], bottom: WORLD_ENDS[p.y][0] };
}

// One slice as a Float32Array of width * height values (row 0 at the top), with its geometry.
export function slice(vol, plane, index) {
  const p = PLANES[plane];
  const f = along(vol, p.fixed), ax = along(vol, p.x), ay = along(vol, p.y);
  const w = ax.n, h = ay.n;
  const k = Math.max(0, Math.min(f.n - 1, index));
  const out = new Float32Array(w * h);
  const { data, slope, inter } = vol;
  const base = f.start + k * f.step + ax.start + ay.start, sx = ax.step, sy = ay.step;
  for (let row = 0; row < h; row++) {
    const y = h - 1 - row;  // superior / anterior up
    let at = base + y * sy;
    const o = row * w;
    for (let x = 0; x < w; x++, at += sx) out[o + x] = data[at] * slope + inter;
  }
  return { values: out, width: w, height: h, aspect: ay.spacing / ax.spacing, index: k };
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
