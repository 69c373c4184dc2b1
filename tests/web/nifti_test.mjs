// The viewer's NIfTI reader (web/nifti.js) on volumes stored in other voxel orders: whatever the
// order and direction of the voxel axes, an axial slice shows the same patient anatomy, the
// patient's left on the left and anterior up, when the header's sform or qform says how the
// voxels lie. Run: node tests/web/nifti_test.mjs SOURCE_DIR (exit status = failures).
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const src = process.argv[2] || '.';
const { parseNifti, slice, sliceCount, planeLabels } = await import(pathToFileURL(path.join(src, 'web/nifti.js')));

let fails = 0;
const check = (what, ok, detail = '') => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${ok ? '' : ' ' + detail}`);
  if (!ok) fails++;
};

// A world volume (RAS+ index order, 4 x 3 x 2) whose voxel value encodes its world position.
const W = [4, 3, 2];
const worldValue = (x, y, z) => 100 * z + 10 * y + x;

// Stores the world volume with voxel axis v running along world axis perm[v] (flipped where
// flip[v]), with an sform (or, with useQform, only a qform) that says so; returns the bytes.
function store(perm, flip, { useQform = false } = {}) {
  const dims = perm.map(w => W[w]);
  const n = dims[0] * dims[1] * dims[2];
  const buf = new ArrayBuffer(352 + 4 * n);
  const v = new DataView(buf);
  v.setInt32(0, 348, true);
  v.setInt16(40, 3, true);
  dims.forEach((d, i) => v.setInt16(42 + 2 * i, d, true));
  v.setInt16(70, 16, true);  // float32
  v.setInt16(72, 32, true);
  v.setFloat32(76, 1, true);  // qfac
  for (let i = 1; i <= 3; i++) v.setFloat32(76 + 4 * i, 1, true);
  v.setFloat32(108, 352, true);
  v.setFloat32(112, 1, true);
  // The affine's 3 x 3 part: column v is the world direction of voxel axis v.
  const m = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  perm.forEach((w, vx) => { m[w][vx] = flip[vx] ? -1 : 1; });
  if (useQform) {
    // A quaternion for m (a rotation when det > 0; qfac -1 flips the third column otherwise).
    let r = m.map(row => row.slice());
    const det = r[0][0] * (r[1][1] * r[2][2] - r[1][2] * r[2][1]) - r[0][1] * (r[1][0] * r[2][2] - r[1][2] * r[2][0]) +
      r[0][2] * (r[1][0] * r[2][1] - r[1][1] * r[2][0]);
    if (det < 0) { for (const row of r) row[2] = -row[2]; v.setFloat32(76, -1, true); }
    const a = 0.5 * Math.sqrt(Math.max(0, 1 + r[0][0] + r[1][1] + r[2][2]));
    let b, c, d;
    if (a > 1e-3) { b = (r[2][1] - r[1][2]) / (4 * a); c = (r[0][2] - r[2][0]) / (4 * a); d = (r[1][0] - r[0][1]) / (4 * a); }
    else {  // a 180-degree rotation: from the diagonal
      b = 0.5 * Math.sqrt(Math.max(0, 1 + r[0][0] - r[1][1] - r[2][2]));
      c = 0.5 * Math.sqrt(Math.max(0, 1 - r[0][0] + r[1][1] - r[2][2]));
      d = 0.5 * Math.sqrt(Math.max(0, 1 - r[0][0] - r[1][1] + r[2][2]));
      if (b > 1e-3) { c = Math.sign(r[0][1] + r[1][0]) * c; d = Math.sign(r[0][2] + r[2][0]) * d; }
      else if (c > 1e-3) d = Math.sign(r[1][2] + r[2][1]) * d;
    }
    v.setInt16(252, 1, true);
    v.setFloat32(256, b, true); v.setFloat32(260, c, true); v.setFloat32(264, d, true);
  } else {
    v.setInt16(254, 1, true);
    for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) v.setFloat32(280 + 16 * r + 4 * c, m[r][c], true);
  }
  const data = new Float32Array(buf, 352, n);
  const idx = [0, 0, 0];
  for (idx[2] = 0; idx[2] < dims[2]; idx[2]++)
    for (idx[1] = 0; idx[1] < dims[1]; idx[1]++)
      for (idx[0] = 0; idx[0] < dims[0]; idx[0]++) {
        const world = [0, 0, 0];
        perm.forEach((w, vx) => { world[w] = flip[vx] ? W[w] - 1 - idx[vx] : idx[vx]; });
        data[idx[0] + dims[0] * (idx[1] + dims[1] * idx[2])] = worldValue(...world);
      }
  return buf;
}

// What the viewer must show: plane slices of the world volume (row 0 at the top).
function expected(plane, k) {
  const axes = { axial: [2, 0, 1], coronal: [1, 0, 2], sagittal: [0, 1, 2] }[plane];
  const [fixed, ax, ay] = axes;
  const out = [];
  for (let row = W[ay] - 1; row >= 0; row--)
    for (let x = 0; x < W[ax]; x++) {
      const p = [0, 0, 0];
      p[fixed] = k; p[ax] = x; p[ay] = row;
      out.push(worldValue(...p));
    }
  return out;
}

const cases = [
  ['RAS as stored', [0, 1, 2], [false, false, false]],
  ['LPS (DICOM order)', [0, 1, 2], [true, true, false]],
  ['sagittal acquisition (y, z, x)', [1, 2, 0], [false, true, false]],
  ['coronal acquisition (x, z, y), flipped', [0, 2, 1], [true, false, true]],
];
for (const [name, perm, flip] of cases)
  for (const useQform of [false, true]) {
    const vol = parseNifti(store(perm, flip, { useQform }));
    const tag = `${name}, ${useQform ? 'qform' : 'sform'}`;
    check(`${tag}: the orientation is known`, vol.orient.known);
    for (const plane of ['axial', 'coronal', 'sagittal']) {
      const fixed = { axial: 2, coronal: 1, sagittal: 0 }[plane];
      check(`${tag}: ${plane} slice count`, sliceCount(vol, plane) === W[fixed], sliceCount(vol, plane));
      for (let k = 0; k < W[fixed]; k++) {
        const got = Array.from(slice(vol, plane, k).values);
        const want = expected(plane, k);
        if (JSON.stringify(got) !== JSON.stringify(want)) {
          check(`${tag}: ${plane} slice ${k}`, false, `${got} != ${want}`);
          break;
        }
      }
    }
  }
const ras = parseNifti(store([0, 1, 2], [false, false, false]));
check('axial edges: L left, R right, A up, P down', JSON.stringify(planeLabels(ras, 'axial')) ===
  JSON.stringify({ left: 'L', right: 'R', top: 'A', bottom: 'P' }), JSON.stringify(planeLabels(ras, 'axial')));
check('sagittal edges: P left, A right, S up', JSON.stringify(planeLabels(ras, 'sagittal')) ===
  JSON.stringify({ left: 'P', right: 'A', top: 'S', bottom: 'I' }), JSON.stringify(planeLabels(ras, 'sagittal')));
// Neither sform nor qform: the index axes as stored, and no side is claimed.
const bare = store([1, 2, 0], [false, false, false]);
new DataView(bare).setInt16(254, 0, true);
const none = parseNifti(bare);
check('no orientation in the header: index axes, no labels', !none.orient.known && planeLabels(none, 'axial') === null &&
  sliceCount(none, 'axial') === W[0]);
console.log(`${fails} failure(s)`);
process.exit(fails);
