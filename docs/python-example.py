# ---
# A notebook-style tour of the Python package medgen (docs/python.md). Each "# %%" line starts a
# cell: Jupyter (with jupytext), VS Code and Spyder open the file as a notebook, and
# `python3 docs/python-example.py` runs it top to bottom. Run it from a folder holding pbc.csv
# (a copy of data/pbc.csv) with PYTHONPATH=build/python; the tests run it with
# MEDGEN_EXAMPLE_EPOCHS=2 (tests/python/run.sh).
# ---

# %% Setup: the package, and the trial table (418 patients with primary biliary cholangitis).
import os

import pandas as pd

import medgen

EPOCHS = int(os.environ.get("MEDGEN_EXAMPLE_EPOCHS", "300"))
real = pd.read_csv("pbc.csv")
print(real.shape, "rows x columns")

# %% What is in the table? The schema the engine infers (the JSON `medgen schema` writes).
schema = medgen.infer_schema(real)
for column in schema["columns"][:6]:
    print(column["name"], column["type"])

# %% Hold a third of the patients out; learn a copula and a conditional GAN from the rest.
holdout = real.iloc[::3].reset_index(drop=True)
train = real.drop(index=real.index[::3]).reset_index(drop=True)
copula = medgen.Synthesizer("copula").fit(train)
ctgan = medgen.Synthesizer("ctgan", epochs=EPOCHS, batch_size=100).fit(train)
print(ctgan, ctgan.summary.get("epochs_trained", ""))

# %% Synthetic patients: 500 men, then 300 spread evenly over the sexes.
men = ctgan.sample(500, conditions={"sex": "m"})
balanced = copula.sample(300, balance="sex")
print(men["sex"].value_counts().to_dict(), balanced["sex"].value_counts().to_dict())
print(balanced.dtypes.value_counts().to_dict())

# %% Is the synthetic table faithful and private? The evaluation report, as a dict and as HTML.
synthetic = copula.sample(len(train))
report = medgen.evaluate(train, synthetic, holdout, target="status", html="report.html")
summary = report["summary"]
print(f"quality {summary['quality']:.3f}, detection AUC {summary['detection_auc']:.3f}, "
      f"membership AUC {summary['membership_auc']:.3f}")

# %% Model files are the CLI's: save here, `build/medgen sample ctgan.medgen` there, same bytes.
ctgan.save("ctgan.medgen")
again = medgen.load("ctgan.medgen")
again.sample_csv("synthetic.csv", 1000, seed=7)   # = build/medgen sample ctgan.medgen -n 1000 --seed 7
print(open("synthetic.csv").readline().strip())

# %% A virtual patient in septic shock, stepped by hand.
patient = medgen.sim.Session("septic_shock", seed=7, severity="severe")
print(patient.briefing.splitlines()[0])
patient.act("attach monitor; give 30 ml/kg crystalloid; order lactate")
patient.advance(15 * 60)
print(patient.monitor_line)
vitals = patient.samples()[["t_s", "map", "hr"]]
print(vitals.tail(3).to_string(index=False))
print(patient.record()["score"]["percent"], "% of the guideline's points")

# %% A scan as a NumPy array with its geometry (a DICOM CT slice that Debian's pydicom ships).
ct = medgen.image.read("/usr/lib/python3/dist-packages/pydicom/data/test_files/CT_small.dcm")
print(ct.modality, ct.array.shape, ct.spacing, f"{ct.array.min():.0f}..{ct.array.max():.0f} HU")
print(ct.affine.round(2))
