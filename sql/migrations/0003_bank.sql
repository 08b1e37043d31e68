-- 0003: bank statements. Lines as the bank exported them, kept append-only; a line is identified by
-- a digest of its content and its occurrence within the file, so importing a statement twice adds
-- nothing.

SET LOCAL search_path = relief, pg_catalog;

CREATE TABLE bank_statement_lines (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id             integer NOT NULL REFERENCES tenants,
    book_id               integer NOT NULL REFERENCES books,
    account_id            integer NOT NULL REFERENCES accounts,
    digest                text NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$'),
    source_file           text NOT NULL,
    source_line           integer NOT NULL,
    txn_date              date NOT NULL,
    summary               text NOT NULL,
    in_fen                bigint NOT NULL CHECK (in_fen >= 0),
    out_fen               bigint NOT NULL CHECK (out_fen >= 0),
    balance_fen           bigint,
    counterparty_name     text NOT NULL,
    counterparty_account  text NOT NULL,
    note                  text NOT NULL,
    imported_by           text NOT NULL,
    imported_at           timestamptz NOT NULL DEFAULT now(),
    CHECK ((in_fen = 0) <> (out_fen = 0)),
    UNIQUE (book_id, account_id, digest)
);
CREATE INDEX bank_statement_lines_by_date ON bank_statement_lines (book_id, account_id, txn_date);

CREATE TRIGGER bank_statement_lines_append_only BEFORE UPDATE OR DELETE ON bank_statement_lines
    FOR EACH ROW EXECUTE FUNCTION reject_change();

GRANT SELECT ON bank_statement_lines TO relief_app, relief_auditor;
GRANT INSERT ON bank_statement_lines TO relief_app;
