-- The ceiling: one plain one-row INSERT per transaction (autocommit).
\set n random(1, 1000000000)
INSERT INTO public.bench_plain (client, n) VALUES (:client_id, :n);
