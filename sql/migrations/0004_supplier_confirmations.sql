-- 0004: what suppliers (or the county union) report as sold, to confirm purchases by invoice.

SET LOCAL search_path = relief, pg_catalog;

CREATE TABLE supplier_confirmations (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id             integer NOT NULL REFERENCES tenants,
    program_id            integer NOT NULL REFERENCES programs,
    digest                text NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$'),
    source_file           text NOT NULL,
    source_line           integer NOT NULL,
    supplier_credit_code  text NOT NULL,
    invoice_number        text NOT NULL,
    amount_fen            bigint NOT NULL CHECK (amount_fen > 0),
    sale_date             date NOT NULL,
    buyer                 text NOT NULL DEFAULT '',
    imported_by           text NOT NULL,
    imported_at           timestamptz NOT NULL DEFAULT now(),
    UNIQUE (program_id, digest)
);
CREATE INDEX supplier_confirmations_by_invoice ON supplier_confirmations (program_id, invoice_number);

CREATE TRIGGER supplier_confirmations_append_only BEFORE UPDATE OR DELETE ON supplier_confirmations
    FOR EACH ROW EXECUTE FUNCTION reject_change();

GRANT SELECT ON supplier_confirmations TO relief_app, relief_auditor;
GRANT INSERT ON supplier_confirmations TO relief_app;
