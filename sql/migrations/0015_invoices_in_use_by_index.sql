-- 0015: invoices_in_use (0005) finds the file's invoices in linear time.
--
-- It compared every purchase of the program with `invoice_number = ANY (p_invoices)`. The array
-- arrives as a parameter, so PostgreSQL searches it element by element for each purchase, and the
-- index on invoices leads with tenant_id, which the query did not name: every call read every
-- purchase. An import of a 200,000-line file into books holding 400,000 purchases made 8·10^10
-- comparisons before validating anything (the full benchmark's second file sat in this query for
-- minutes), and each purchase POSTed through the API scanned the whole table.
--
-- Now the invoices are a set joined to purchases through a new index on (program, invoice): a hash
-- join for a large file, one index probe per invoice for an API purchase. Same rows, same rights.

SET LOCAL search_path = relief, pg_catalog;

CREATE INDEX purchases_by_program_invoice ON purchases (program_id, invoice_number);

CREATE OR REPLACE FUNCTION invoices_in_use(p_program integer, p_invoices text[])
RETURNS TABLE (invoice_number text, purchase_key text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = relief, pg_catalog AS $$
    SELECT p.invoice_number, p.purchase_key
    FROM (SELECT DISTINCT i.invoice_number FROM unnest(p_invoices) AS i(invoice_number)) i
    JOIN purchases p ON p.program_id = p_program AND p.invoice_number = i.invoice_number
$$;
