-- Bench fixtures: the dimension values the purchase entry names, and the plain-INSERT ceiling table.
-- Run once on a database migrated with sql/migrations/0001…: psql -v ON_ERROR_STOP=1 -f setup.sql
INSERT INTO relief.dimension_values (tenant_id, kind, code, name)
SELECT t.id, v.kind, v.code, v.name FROM relief.tenants t,
  (VALUES ('enterprise', 'E-BENCH', '基准企业'), ('supplier', 'S-BENCH', '基准供应商')) AS v(kind, code, name)
WHERE t.code = 'default'
ON CONFLICT DO NOTHING;
DROP TABLE IF EXISTS public.bench_plain;
CREATE TABLE public.bench_plain (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, client int NOT NULL, n bigint NOT NULL, at timestamptz NOT NULL DEFAULT now());
