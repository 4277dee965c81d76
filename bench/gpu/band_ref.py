#!/usr/bin/env python3
"""bench/gpu/band_ref.py DIR LABEL... - window errors against the band-fit reference.

windows_real writes DIR/LABEL-moves.csv (every move its reference thread saw, as a
bracket [lo, hi] between a read that did not show it and one that did) and
DIR/LABEL-windows.csv (every window: ebench, the counter read at both ends, a 1 Hz
poll). On a counter as regular as the H200's, all brackets hold one strictly periodic
line u_k = c + k x P; the line through the middle of the widest band of such lines
places every move to within half the band, and the energy at any instant is
interpolated between those moves. Prints, per window length, mean / worst |error|
of each method against it (markdown rows).
"""
import bisect
import csv
import statistics as st
import sys


def band(m):
    best=None
    mids=[(lo+hi)/2 for lo,hi,e in m]
    p0=st.median([b-a for a,b in zip(mids,mids[1:])])
    for i in range(0,4001):
        P=p0*(0.98+0.04*i/4000)
        a=max(lo-P*k for k,(lo,hi,e) in enumerate(m)); b=min(hi-P*k for k,(lo,hi,e) in enumerate(m))
        if best is None or b-a>best[0]: best=(b-a,P,(a+b)/2)
    w,P,c=best
    return [c+P*k for k in range(len(m))],[e for _,_,e in m],P,w
def E(u,e,t):
    i=bisect.bisect_right(u,t)
    if i==0 or i>=len(u): return float('nan')
    return (e[i-1]+(e[i]-e[i-1])*(t-u[i-1])/(u[i]-u[i-1]))/1e3
d=sys.argv[1]
for lab in sys.argv[2:]:
    m=[tuple(map(float,r.values())) for r in csv.DictReader(open(f"{d}/{lab}-moves.csv"))]
    w=[r for r in csv.DictReader(open(f"{d}/{lab}-windows.csv"))]
    u,e,P,bw=band(m)
    print(f"<!-- {lab}: band fit period {P*1e3:.4f} ms, band {bw*1e3:.2f} ms over {len(m)} brackets -->")
    for L in ("0.5","1","2"):
        errs={"eb":[], "ends":[], "poll":[]}
        for r in w:
            if r["length_s"]!=L: continue
            ref=E(u,e,float(r["t1_s"]))-E(u,e,float(r["t0_s"]))
            if not ref>0: continue
            for key,col in (("eb","ebench_j"),("ends","ends_j"),("poll","poll_j")):
                errs[key].append(abs(float(r[col])/ref-1))
        f=lambda v: f"{100*st.mean(v):.2f}% / {100*max(v):.2f}%" if v else "-"
        print(f"| {lab} | {L} s | {len(errs['eb'])} | {f(errs['eb'])} | {f(errs['ends'])} | {f(errs['poll'])} |")
