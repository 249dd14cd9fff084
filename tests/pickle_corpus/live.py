"""The subprocess script that loads samples with their real loaders (pickle, torch, numpy, joblib)
and records which ones ran their payload: proof that a sample is live, shared by the corpus and
bypass tests. It runs only in a throwaway subprocess, never in the test process."""

import textwrap

LIVE_RUNNER = textwrap.dedent("""
    import json, pickle, sys, warnings
    warnings.simplefilter("ignore")
    results = {}
    for case_id, loader, path, marker in json.loads(sys.argv[1]):
        try:
            if loader == "pickle":
                with open(path, "rb") as f:
                    pickle.load(f)
            elif loader == "pickle-all":
                with open(path, "rb") as f:
                    while True:
                        pickle.load(f)
            elif loader == "torch":
                import torch
                torch.load(path, weights_only=False)
            elif loader == "numpy":
                import numpy
                loaded = numpy.load(path, allow_pickle=True)
                if hasattr(loaded, "files"):
                    [loaded[k] for k in loaded.files]
            elif loader == "joblib":
                import joblib
                joblib.load(path)
        except BaseException:
            pass
        import os
        results[case_id] = os.path.exists(marker)
    print(json.dumps(results))
""")
