#!/usr/bin/env python3
"""Recomputes a ReliefLedger book's hash chain from the database, independently of relief.

Usage: python3 tools/recompute_chain.py [CONNINFO] [--book main]
Needs psql on PATH (CONNINFO as psql takes it; default: PG* variables). Prints the chain head and
exits 0 when every stored hash matches; prints the first bad entry and exits 1 otherwise.
The canonical text is specified in docs/CHAIN.md.
"""
import datetime
import hashlib
import subprocess
import sys

QUERY = """
COPY (SELECT e.seq, b.code, e.period, e.voucher_no, e.entry_date, r.seq,
             (extract(epoch FROM e.created_at) * 1000000)::bigint, e.created_by, e.idempotency_key,
             e.description, encode(e.hash, 'hex'), p.line, a.code, p.side, p.amount_fen,
             de.code, ds.code, dt.code, dc.code, dh.code, dp.code, p.memo
      FROM relief.entries e JOIN relief.books b ON b.id = e.book_id
      LEFT JOIN relief.entries r ON r.id = e.reverses_id
      JOIN relief.postings p ON p.entry_id = e.id JOIN relief.accounts a ON a.id = p.account_id
      LEFT JOIN relief.dimension_values de ON de.id = p.enterprise_id
      LEFT JOIN relief.dimension_values ds ON ds.id = p.supplier_id
      LEFT JOIN relief.dimension_values dt ON dt.id = p.township_id
      LEFT JOIN relief.dimension_values dc ON dc.id = p.category_id
      LEFT JOIN relief.dimension_values dh ON dh.id = p.channel_id
      LEFT JOIN relief.dimension_values dp ON dp.id = p.program_id
      WHERE b.code = :'book' ORDER BY e.seq, p.line) TO STDOUT WITH (FORMAT csv)
"""


def esc(value):
    if value is None:
        return ""
    return value.replace("\\", "\\\\").replace("|", "\\|").replace("\n", "\\n").replace("\r", "\\r")


def timestamp(micros):
    moment = datetime.datetime(1970, 1, 1) + datetime.timedelta(microseconds=micros)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def main():
    args = sys.argv[1:]
    book = "main"
    if "--book" in args:
        i = args.index("--book")
        book = args[i + 1]
        del args[i:i + 2]
    command = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-v", f"book={book}", "-f", "-"]
    if args:
        command.insert(1, args[0])
    # Bytes, decoded by hand: text mode would turn a CR inside a description or memo into LF.
    out = subprocess.run(command, input=QUERY.encode("utf-8"), capture_output=True, check=True).stdout.decode("utf-8")
    import csv
    import io
    rows = list(csv.reader(io.StringIO(out, newline="")))
    # In CSV format psql writes NULL as an unquoted empty field; empty strings are quoted.
    # csv.reader cannot tell them apart, and the canonical text writes both as empty: no harm.
    previous = bytes(32)
    index = 0
    count = 0
    while index < len(rows):
        head = rows[index]
        seq = head[0]
        text = "|".join([
            "E", esc(head[1]), seq, f"{int(head[2]) // 100:04d}-{int(head[2]) % 100:02d}", head[3], head[4],
            head[5], timestamp(int(head[6])), esc(head[7]), esc(head[8]), esc(head[9]),
        ]) + "\n"
        while index < len(rows) and rows[index][0] == seq:
            p = rows[index]
            text += "|".join(["P", p[11], esc(p[12]), p[13], p[14]] + [esc(v) for v in p[15:22]]) + "\n"
            index += 1
        computed = hashlib.sha256(previous + text.encode("utf-8")).hexdigest()
        count += 1
        if computed != head[10]:
            print(f"entry #{seq}: stored {head[10]} != recomputed {computed}")
            sys.exit(1)
        previous = bytes.fromhex(head[10])
    print(f"{count} entries, chain head {previous.hex()}")


if __name__ == "__main__":
    main()
