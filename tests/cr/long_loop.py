# A long-running CPython loop for the checkpoint test: deterministic output,
# state in dicts, a hash object, and sleeps (poll_oneoff) between steps.
import hashlib
import json
import time

state = {"total": 0, "squares": []}
digest = hashlib.sha256()
for i in range(3000):
    state["total"] = (state["total"] + i * i) % 1000003
    if i % 300 == 0:
        state["squares"].append(i * i)
        digest.update(json.dumps(state, sort_keys=True).encode())
        print("step", i, state["total"], flush=True)
        time.sleep(0.05)
print("done", state["total"], len(state["squares"]), digest.hexdigest())
