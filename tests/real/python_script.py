"""tern's CPython check: json, hashlib, file I/O in the preopened /work, and a computation."""
import hashlib
import json
import os
import sys
import zlib
from fractions import Fraction

base = "/work"
records = [{"id": i, "name": f"item-{i}", "squares": [j * j for j in range(i % 7)]} for i in range(200)]
text = json.dumps(records, indent=1, sort_keys=True)
os.makedirs(f"{base}/out/nested", exist_ok=True)
with open(f"{base}/out/records.json", "w") as f:
    f.write(text)
with open(f"{base}/out/records.json") as f:
    back = json.load(f)
assert back == records
print("json roundtrip", len(text), "bytes")

digest = hashlib.sha256(text.encode()).hexdigest()
print("sha256", digest)
print("md5", hashlib.md5(b"tern").hexdigest(), "blake2b", hashlib.blake2b(b"tern", digest_size=16).hexdigest())

blob = bytes((i * 7 + 3) % 256 for i in range(100_000))
with open(f"{base}/out/nested/blob.bin", "wb") as f:
    f.write(zlib.compress(blob, 9))
with open(f"{base}/out/nested/blob.bin", "rb") as f:
    assert zlib.decompress(f.read()) == blob
print("zlib ok", os.path.getsize(f"{base}/out/nested/blob.bin"))

listing = sorted((root[len(base):], sorted(dirs), sorted(files)) for root, dirs, files in os.walk(base))
print("walk", listing)
os.rename(f"{base}/out/records.json", f"{base}/out/records-renamed.json")
print("exists after rename", os.path.exists(f"{base}/out/records.json"), os.path.exists(f"{base}/out/records-renamed.json"))

# A computation: primes by sieve, a big-int Fibonacci, and an exact harmonic sum.
n = 200_000
sieve = bytearray([1]) * (n + 1)
sieve[0:2] = b"\0\0"
for i in range(2, int(n ** 0.5) + 1):
    if sieve[i]:
        sieve[i * i :: i] = bytearray(len(range(i * i, n + 1, i)))
print("primes below", n, sum(sieve))
a, b = 0, 1
for _ in range(5000):
    a, b = b, a + b
print("fib(5000) digits", len(str(a)), "mod 1e9+7", a % 1_000_000_007)
h = sum(Fraction(1, k) for k in range(1, 300))
print("H(299) =", h.numerator % 10**12, "/", h.denominator % 10**12)
print("float", sum(1.0 / (k * k) for k in range(1, 100000)))
print("argv", sys.argv[1:])
with open(f"{base}/out/summary.txt", "w") as f:
    f.write(f"{digest}\n{sum(sieve)}\n")
sys.exit(3)
