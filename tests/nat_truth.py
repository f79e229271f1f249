#!/usr/bin/python3
"""Compare a `natprobe nat --format json` report with a lab case's ground truth.

usage: nat_truth.py CASE_FILE REPORT.json
Prints one line per checked fact ("ok mapping endpoint-independent" or
"MISMATCH filtering: got X, truth Y") and exits 1 on any mismatch.
"""
import json
import sys


def truth_of(path):
    t = {}
    for line in open(path):
        line = line.strip()
        if line.startswith("TRUTH_") and "=" in line:
            k, v = line.split("=", 1)
            t[k[6:]] = v.strip().strip('"')
    return t


def main():
    t = truth_of(sys.argv[1])
    r = json.load(open(sys.argv[2]))
    v4 = (r.get("nat") or {}).get("ipv4") or {}
    checks = []

    def check(name, got, want):
        checks.append((name, got, want, got == want))

    if t.get("UDP") == "blocked":
        check("udp", r.get("udp"), "blocked")
        check("mapping", r.get("mapping"), None)
    else:
        check("udp", r.get("udp"), "ok")
        check("mapping", r.get("mapping"), t["MAPPING"])
        check("filtering", r.get("filtering"), t["FILTERING"])
        check("hairpinning", r.get("hairpinning"), t["HAIRPINNING"])
        if "TCP_MAPPING" in t:
            check("tcp_mapping", v4["tcp_mapping"]["value"], t["TCP_MAPPING"])
        nat = t.get("NAT", "yes")
        check("nat_present", v4.get("nat_present"), nat != "no")
        if "PORT_PRESERVATION" in t and nat != "no":
            check("port_preservation", v4["port_allocation"]["preservation"],
                  t["PORT_PRESERVATION"] == "yes")
        if nat == "double":
            check("double_nat", v4["double_nat"]["value"], True)
        elif nat == "yes":
            check("double_nat", v4["double_nat"]["value"] is True, False)
        max_udp = int(t.get("MAX_UDP", "1472").lstrip("~"))
        if max_udp < 1400:
            sz = v4["max_datagram"]
            lost = [x for x in (sz["out_lost"], sz["in_lost"]) if x]
            # TRUTH_MAX_UDP is the UDP payload; natprobe reports IP bytes.
            ip_max = max_udp + 28
            check("large datagrams lost %s" % sz,
                  bool(lost) and min(lost) <= ip_max + 100 and
                  (sz["out_max"] or 0) <= ip_max, True)
        if t.get("LIFETIME_TESTED") == "yes":
            lt = v4["binding_lifetime"]
            life = int(t["LIFETIME_S"])
            ok = (lt["alive_s"] is not None and lt["alive_s"] <= life and
                  (lt["expired_s"] is None or lt["expired_s"] >= life - 1))
            check("binding lifetime %s..%s s brackets %d s"
                  % (lt["alive_s"], lt["expired_s"], life), ok, True)
    if t.get("IPV6") == "open":
        v6 = (r.get("nat") or {}).get("ipv6") or {}
        check("ipv6 udp", v6.get("udp"), "ok")
        check("ipv6 nat_present", v6.get("nat_present"), False)
        check("ipv6 filtering", (v6.get("filtering") or {}).get("value"),
              t.get("IPV6_FILTERING"))
    bad = 0
    for name, got, want, ok in checks:
        if ok:
            print("  ok %s %s" % (name, got))
        else:
            print("  MISMATCH %s: got %s, truth %s" % (name, got, want))
            bad += 1
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
