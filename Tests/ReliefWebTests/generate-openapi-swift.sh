#!/bin/sh
# Regenerates Sources/ReliefWeb/OpenAPIDocument.swift from docs/openapi.json (the file is the
# source of truth; OpenAPITests checks that the served document equals it). Run from the repo root.
set -eu
out=Sources/ReliefWeb/OpenAPIDocument.swift
{
    printf '%s\n' '// Generated from docs/openapi.json by Tests/ReliefWebTests/generate-openapi-swift.sh; do not edit.'
    printf '\n'
    printf '%s\n' '/// The OpenAPI 3.1 document served at GET /api/openapi.json, byte for byte docs/openapi.json.'
    printf '%s\n' 'enum OpenAPIDocument {'
    printf '%s\n' '    static let json = #"""'
    cat docs/openapi.json
    printf '%s\n' '"""#'
    printf '%s\n' '    /// The file as served: the literal above plus the newline that ends the file.'
    printf '%s\n' '    static var text: String { json + "\n" }'
    printf '%s\n' '}'
} > "$out.tmp"
mv "$out.tmp" "$out"
