-- One purchase entry (two postings on the memorandum accounts 901/902) per transaction, through
-- relief.post_entries, every invariant on. The key is unique per call: client id + random 60-bit.
\set r random(1, 1000000000000000)
SELECT * FROM relief.post_entries('main', ('[{"key": "bench-' || :client_id || '-' || :r || '", "date": "2020-05-20", "description": "采购", "postings": [{"account": "901", "side": "D", "amount_fen": 380000, "enterprise": "E-BENCH", "supplier": "S-BENCH"}, {"account": "902", "side": "C", "amount_fen": 380000, "enterprise": "E-BENCH", "supplier": "S-BENCH"}]}]')::jsonb, 'bench');
