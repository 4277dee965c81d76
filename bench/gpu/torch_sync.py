"""bench/gpu/torch_sync.py - on a real GPU: does EnergyBenchmark's sync="torch"
put the GPU's work inside the window (issue 18)? 200 bf16 8192^3 matmuls are
queued inside each window; without a sync the window closes after the launches,
with it after the GPU has finished. Prints one markdown row per setting, and the
settled figure (window_result) beside the provisional one."""
import time
import torch
import energy_benchmark as eb

n, reps = 8192, 200
a = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
b = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
for _ in range(20):
    a @ b
torch.cuda.synchronize()
print("| sync | bench.sync | window (s) | energy (J) | settled (J) | power (W) | host wall to GPU done (s) |")
print("|---|---|---|---|---|---|---|")
for sync in ("auto", None):
    bench = eb.EnergyBenchmark(sync=sync)
    t0 = time.perf_counter()
    with bench.window("matmul", work={"flop": 2.0 * n**3 * reps}) as m:
        for _ in range(reps):
            a @ b
    torch.cuda.synchronize()
    t_done = time.perf_counter() - t0
    time.sleep(0.3)  # let the counter's next move settle the window
    settled = bench.window_result("matmul")
    print("| %s | %s | %.4f | %.2f | %.2f | %.1f | %.4f |" % (
        sync, bench.sync, m.duration_s, m.energy_j, settled.energy_j,
        m.avg_power_w, t_done))
    bench.close()
