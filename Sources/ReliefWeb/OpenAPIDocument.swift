// Generated from docs/openapi.json by Tests/ReliefWebTests/generate-openapi-swift.sh; do not edit.

/// The OpenAPI 3.1 document served at GET /api/openapi.json, byte for byte docs/openapi.json.
enum OpenAPIDocument {
    static let json = #"""
{
  "openapi": "3.1.0",
  "info": {
    "title": "ReliefLedger (消费帮扶台账) API",
    "version": "1.0.0",
    "description": "JSON API of ReliefLedger. Authenticate with POST /api/v1/login and send `Authorization: Bearer <token>`. Every request's database work runs as the user's database role (PostgreSQL grants and row-level security apply): an enterprise clerk sees and writes only its own enterprise's rows. Errors are always `{\"error\": {\"code\", \"message\", \"field\"}}` with a stable `code`."
  },
  "servers": [
    {
      "url": "/"
    }
  ],
  "security": [
    {
      "bearer": []
    }
  ],
  "tags": [
    {
      "name": "auth"
    },
    {
      "name": "program"
    },
    {
      "name": "books"
    },
    {
      "name": "subsidy"
    },
    {
      "name": "operations"
    }
  ],
  "paths": {
    "/api/v1/login": {
      "post": {
        "tags": [
          "auth"
        ],
        "operationId": "login",
        "summary": "登录，取得 1 天有效的 API 令牌",
        "description": "Checks the password (bcrypt). After 5 failures within 15 minutes the login is refused with 429 LOGIN_THROTTLED without checking the password. Every attempt is written to the audit log with the remote address.",
        "security": [],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/LoginRequest"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "令牌",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/LoginResponse"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "description": "INVALID_CREDENTIALS",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/ValidationFailed"
          },
          "429": {
            "description": "LOGIN_THROTTLED",
            "headers": {
              "Retry-After": {
                "schema": {
                  "type": "integer"
                }
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/me": {
      "get": {
        "tags": [
          "auth"
        ],
        "operationId": "me",
        "summary": "当前用户",
        "description": "Roles: all.",
        "responses": {
          "200": {
            "description": "当前用户",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Me"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthenticated"
          }
        }
      }
    },
    "/api/v1/progress": {
      "get": {
        "tags": [
          "program"
        ],
        "operationId": "progress",
        "summary": "月报（各企业目标、本月与累计采购、完成率、排名）",
        "description": "Roles: all. An enterprise clerk gets its own enterprise's row only (row-level security).",
        "parameters": [
          {
            "name": "period",
            "in": "query",
            "required": true,
            "description": "月份，YYYY-MM",
            "schema": {
              "type": "string",
              "pattern": "^[0-9]{4}-[0-9]{2}$"
            },
            "example": "2020-05"
          }
        ],
        "responses": {
          "200": {
            "description": "月报",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Report"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthenticated"
          }
        }
      }
    },
    "/api/v1/purchases": {
      "get": {
        "tags": [
          "program"
        ],
        "operationId": "listPurchases",
        "summary": "采购明细行及其合格判定",
        "description": "Roles: all. An enterprise clerk sees its own enterprise's purchases only. Newest first.",
        "parameters": [
          {
            "name": "ineligible",
            "in": "query",
            "required": false,
            "description": "true: 只列不合格行",
            "schema": {
              "type": "boolean",
              "default": false
            }
          },
          {
            "name": "period",
            "in": "query",
            "required": false,
            "description": "只列此月份（YYYY-MM）",
            "schema": {
              "type": "string",
              "pattern": "^[0-9]{4}-[0-9]{2}$"
            }
          },
          {
            "name": "limit",
            "in": "query",
            "required": false,
            "schema": {
              "type": "integer",
              "minimum": 1,
              "maximum": 10000,
              "default": 1000
            }
          }
        ],
        "responses": {
          "200": {
            "description": "采购明细行",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/PurchaseLineList"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthenticated"
          }
        }
      },
      "post": {
        "tags": [
          "program"
        ],
        "operationId": "createPurchase",
        "summary": "录入一张采购单",
        "description": "Roles: enterprise_clerk (own enterprise only), finance_preparer, admin. The Idempotency-Key becomes the purchase's 采购单号; the same key and body again returns 200 with the same purchase and writes nothing. The body is validated in full as an import file would be; the purchase's lines are judged for eligibility and its memorandum entry posted in the same transaction.",
        "parameters": [
          {
            "name": "Idempotency-Key",
            "in": "header",
            "required": true,
            "description": "采购单号，1–100 个字符",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 100
            }
          }
        ],
        "requestBody": {
          "required": true,
          "description": "At most 1 MiB, Content-Type application/json.",
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/PurchaseRequest"
              }
            }
          }
        },
        "responses": {
          "201": {
            "description": "已录入",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Purchase"
                }
              }
            }
          },
          "200": {
            "description": "此 Idempotency-Key 已录入过相同的采购单；未写入任何数据",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Purchase"
                }
              }
            }
          },
          "400": {
            "description": "IDEMPOTENCY_KEY_REQUIRED, IDEMPOTENCY_KEY_INVALID or MALFORMED_JSON",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthenticated"
          },
          "403": {
            "description": "FORBIDDEN (role) or FORBIDDEN_ENTERPRISE (a clerk naming another enterprise)",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "409": {
            "description": "IDEMPOTENCY_KEY_REUSED: the key is taken by a different purchase",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/ValidationFailed"
          },
          "503": {
            "description": "TOO_MANY_WAITING: 10,000 purchases already wait to be recorded; retry later with the same Idempotency-Key",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/subsidy/batches/{id}/approve": {
      "post": {
        "tags": [
          "subsidy"
        ],
        "operationId": "approveBatch",
        "summary": "审核补助批次（制单与审核分离）",
        "description": "Roles: finance_approver. The approver must not be the batch's preparer (409 MAKER_CHECKER); PostgreSQL enforces the same.",
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "schema": {
              "type": "integer"
            }
          },
          {
            "name": "Idempotency-Key",
            "in": "header",
            "required": true,
            "description": "写操作的幂等键（1–100 个字符）：同一操作重试时用同一个值，服务器返回首次的结果并带 Idempotent-Replayed: true；同一键用于不同请求返回 409 IDEMPOTENCY_KEY_REUSED",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 100
            }
          }
        ],
        "responses": {
          "200": {
            "description": "已审核",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Batch"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthenticated"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "description": "BATCH_NOT_FOUND",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "409": {
            "description": "MAKER_CHECKER, BATCH_NOT_PREPARED or FUND_EXCEEDED",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          }
        }
      }
    },
    "/api/openapi.json": {
      "get": {
        "tags": [
          "operations"
        ],
        "operationId": "openapi",
        "summary": "本文档",
        "security": [],
        "responses": {
          "200": {
            "description": "OpenAPI 3.1 document",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object"
                }
              }
            }
          }
        }
      }
    },
    "/metrics": {
      "get": {
        "tags": [
          "operations"
        ],
        "operationId": "metrics",
        "summary": "Prometheus metrics",
        "security": [],
        "description": "relief_http_requests_total{method,route,status} and the histogram relief_http_request_duration_seconds{route}. Unauthenticated: expose it to the scraper only.",
        "responses": {
          "200": {
            "description": "Prometheus text format 0.0.4",
            "content": {
              "text/plain": {
                "schema": {
                  "type": "string"
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/reports": {
      "get": {
        "tags": [
          "books"
        ],
        "operationId": "listReports",
        "summary": "当前角色可读的报表",
        "description": "Roles: every role.",
        "responses": {
          "200": {
            "description": "报表清单",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "properties": {
                    "reports": {
                      "type": "array",
                      "items": {
                        "type": "object",
                        "properties": {
                          "key": {
                            "type": "string"
                          },
                          "title": {
                            "type": "string"
                          },
                          "parameters": {
                            "type": "array",
                            "items": {
                              "type": "string"
                            }
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthenticated"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          }
        }
      }
    },
    "/api/v1/reports/{key}": {
      "get": {
        "tags": [
          "books"
        ],
        "operationId": "report",
        "summary": "报表：JSON、CSV 或 XLSX",
        "description": "Reports: monthly, statement, subsidy-ledger (every role; a clerk sees its own enterprise, and the statement is always its own), trial-balance, general-ledger, ledger (needs account), journal, by-township, by-category, by-channel, exceptions, supervision, subsidy-reconciliation, supplier-reconciliation, bank-reconciliation (admin, finance_preparer, finance_approver, auditor).",
        "parameters": [
          {
            "name": "key",
            "in": "path",
            "required": true,
            "schema": {
              "type": "string"
            },
            "example": "trial-balance"
          },
          {
            "name": "period",
            "in": "query",
            "required": true,
            "description": "月份，YYYY-MM",
            "schema": {
              "type": "string",
              "pattern": "^[0-9]{4}-[0-9]{2}$"
            },
            "example": "2020-05"
          },
          {
            "name": "account",
            "in": "query",
            "required": false,
            "description": "科目代码（明细账 ledger 必填），如 102",
            "schema": {
              "type": "string"
            }
          },
          {
            "name": "enterprise",
            "in": "query",
            "required": false,
            "description": "企业统一社会信用代码（对账单 statement 必填；企业录入员忽略此参数）",
            "schema": {
              "type": "string"
            }
          },
          {
            "name": "format",
            "in": "query",
            "required": false,
            "description": "json（默认）、csv 或 xlsx",
            "schema": {
              "type": "string",
              "enum": [
                "json",
                "csv",
                "xlsx"
              ]
            }
          }
        ],
        "responses": {
          "200": {
            "description": "报表",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Report"
                }
              },
              "text/csv": {
                "schema": {
                  "type": "string"
                }
              },
              "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                "schema": {
                  "type": "string",
                  "format": "binary"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthenticated"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "description": "REPORT_NOT_FOUND",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/journal": {
      "get": {
        "tags": [
          "books"
        ],
        "operationId": "journal",
        "summary": "序时账查询（按月份、科目、企业、供应商、凭证号筛选）",
        "description": "Roles: admin, finance_preparer, finance_approver, auditor. Whole entries with all their postings, in chain order; page with `after`.",
        "parameters": [
          {
            "name": "period",
            "in": "query",
            "required": false,
            "description": "月份 YYYY-MM",
            "schema": {
              "type": "string"
            }
          },
          {
            "name": "account",
            "in": "query",
            "required": false,
            "description": "科目代码或前缀",
            "schema": {
              "type": "string"
            }
          },
          {
            "name": "enterprise",
            "in": "query",
            "required": false,
            "description": "企业信用代码",
            "schema": {
              "type": "string"
            }
          },
          {
            "name": "supplier",
            "in": "query",
            "required": false,
            "description": "供应商信用代码",
            "schema": {
              "type": "string"
            }
          },
          {
            "name": "voucher",
            "in": "query",
            "required": false,
            "description": "凭证号，如 12 或 记-12",
            "schema": {
              "type": "string"
            }
          },
          {
            "name": "after",
            "in": "query",
            "required": false,
            "description": "只返回链序号大于此值的分录",
            "schema": {
              "type": "integer"
            }
          },
          {
            "name": "limit",
            "in": "query",
            "required": false,
            "description": "1–500，默认 100",
            "schema": {
              "type": "integer"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "分录",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "properties": {
                    "count": {
                      "type": "integer"
                    },
                    "next_after": {
                      "type": [
                        "integer",
                        "null"
                      ]
                    },
                    "entries": {
                      "type": "array",
                      "items": {
                        "type": "object"
                      }
                    }
                  }
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthenticated"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          }
        }
      }
    },
    "/api/v1/exports/journal": {
      "get": {
        "tags": [
          "books"
        ],
        "operationId": "exportJournal",
        "summary": "导出全部序时账",
        "description": "Roles: admin, finance_preparer, finance_approver, auditor. Streamed; memory stays flat.",
        "parameters": [
          {
            "name": "format",
            "in": "query",
            "required": false,
            "description": "csv（默认）、json、hledger、beancount、xlsx",
            "schema": {
              "type": "string",
              "enum": [
                "csv",
                "json",
                "hledger",
                "beancount",
                "xlsx"
              ]
            }
          },
          {
            "name": "encoding",
            "in": "query",
            "required": false,
            "description": "utf-8（默认）或 gb18030（仅 CSV）；其他值 400",
            "schema": {
              "type": "string",
              "enum": [
                "utf-8",
                "utf8",
                "gb18030"
              ]
            }
          }
        ],
        "responses": {
          "200": {
            "description": "文件（attachment）",
            "content": {
              "application/octet-stream": {
                "schema": {
                  "type": "string",
                  "format": "binary"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthenticated"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          }
        }
      }
    },
    "/api/v1/exports/audit-pack": {
      "get": {
        "tags": [
          "books"
        ],
        "operationId": "auditPack",
        "summary": "审计包（ZIP：全部报表、各格式序时账、manifest.json）",
        "description": "Roles: admin, finance_preparer, finance_approver, auditor. Check offline with `relief verify --pack` after unzipping.",
        "parameters": [
          {
            "name": "period",
            "in": "query",
            "required": true,
            "description": "月份，YYYY-MM",
            "schema": {
              "type": "string",
              "pattern": "^[0-9]{4}-[0-9]{2}$"
            },
            "example": "2020-05"
          }
        ],
        "responses": {
          "200": {
            "description": "ZIP",
            "content": {
              "application/zip": {
                "schema": {
                  "type": "string",
                  "format": "binary"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthenticated"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          }
        }
      }
    },
    "/api/v1/verify": {
      "get": {
        "tags": [
          "books"
        ],
        "operationId": "verify",
        "summary": "重新计算哈希链并校验账簿",
        "description": "Roles: admin, finance_preparer, finance_approver, auditor.",
        "responses": {
          "200": {
            "description": "校验结果",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "properties": {
                    "book": {
                      "type": "string"
                    },
                    "sound": {
                      "type": "boolean"
                    },
                    "entries_checked": {
                      "type": "integer"
                    },
                    "postings_checked": {
                      "type": "integer"
                    },
                    "chain_head": {
                      "type": "string"
                    },
                    "problems": {
                      "type": "array",
                      "items": {
                        "type": "string"
                      }
                    },
                    "checked_at": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthenticated"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          }
        }
      }
    },
    "/api/v1/audit-log": {
      "get": {
        "tags": [
          "operations"
        ],
        "operationId": "auditLog",
        "summary": "操作日志（最近 500 条）",
        "description": "Roles: admin, auditor.",
        "responses": {
          "200": {
            "description": "事件",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "properties": {
                    "events": {
                      "type": "array",
                      "items": {
                        "type": "object"
                      }
                    }
                  }
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthenticated"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          }
        }
      }
    },
    "/api/v1/imports/{kind}": {
      "post": {
        "tags": [
          "program"
        ],
        "operationId": "importFile",
        "summary": "导入文件（全有或全无，逐行列出错误）",
        "description": "kind: enterprises, suppliers, products (admin, finance_preparer); purchases (admin, finance_preparer, enterprise_clerk — its own enterprise's lines only); bank-statement, supplier-confirmations (finance_preparer). The body is the file itself, at most 8 MiB.",
        "parameters": [
          {
            "name": "kind",
            "in": "path",
            "required": true,
            "schema": {
              "type": "string",
              "enum": [
                "enterprises",
                "suppliers",
                "products",
                "purchases",
                "bank-statement",
                "supplier-confirmations"
              ]
            }
          },
          {
            "name": "file_name",
            "in": "query",
            "required": false,
            "description": "文件名（用于错误信息和判断格式）",
            "schema": {
              "type": "string"
            }
          },
          {
            "name": "Idempotency-Key",
            "in": "header",
            "required": true,
            "description": "写操作的幂等键（1–100 个字符）：同一操作重试时用同一个值，服务器返回首次的结果并带 Idempotent-Replayed: true；同一键用于不同请求返回 409 IDEMPOTENCY_KEY_REUSED",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 100
            }
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "text/csv": {
              "schema": {
                "type": "string"
              }
            },
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
              "schema": {
                "type": "string",
                "format": "binary"
              }
            }
          }
        },
        "responses": {
          "201": {
            "description": "已导入",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "properties": {
                    "kind": {
                      "type": "string"
                    },
                    "file_name": {
                      "type": "string"
                    },
                    "rows": {
                      "type": "integer"
                    },
                    "created": {
                      "type": "integer"
                    },
                    "unchanged": {
                      "type": "integer"
                    },
                    "ineligible_lines": {
                      "type": "integer"
                    },
                    "entries_posted": {
                      "type": "integer"
                    }
                  }
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthenticated"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "description": "IMPORT_KIND_NOT_FOUND",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "413": {
            "description": "PAYLOAD_TOO_LARGE",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "415": {
            "description": "UNSUPPORTED_MEDIA_TYPE",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "422": {
            "description": "IMPORT_FAILED or FILE_UNREADABLE: error.problems lists every problem with its line and column; nothing was imported",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/subsidy/batches": {
      "get": {
        "tags": [
          "subsidy"
        ],
        "operationId": "listBatches",
        "summary": "补助批次",
        "description": "Roles: admin, finance_preparer, finance_approver, auditor.",
        "responses": {
          "200": {
            "description": "批次",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "properties": {
                    "batches": {
                      "type": "array",
                      "items": {
                        "$ref": "#/components/schemas/Batch"
                      }
                    }
                  }
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthenticated"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          }
        }
      },
      "post": {
        "tags": [
          "subsidy"
        ],
        "operationId": "prepareBatch",
        "summary": "制作某月的补助批次（制单）",
        "description": "Roles: finance_preparer.",
        "parameters": [
          {
            "name": "Idempotency-Key",
            "in": "header",
            "required": true,
            "description": "写操作的幂等键（1–100 个字符）：同一操作重试时用同一个值，服务器返回首次的结果并带 Idempotent-Replayed: true；同一键用于不同请求返回 409 IDEMPOTENCY_KEY_REUSED",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 100
            }
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "type": "object",
                "required": [
                  "period"
                ],
                "properties": {
                  "period": {
                    "type": "string",
                    "example": "2020-07"
                  }
                }
              }
            }
          }
        },
        "responses": {
          "201": {
            "description": "已制单",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": {
                    "$ref": "#/components/schemas/Batch"
                  }
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthenticated"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "409": {
            "description": "BATCH_EXISTS or IDEMPOTENCY_KEY_REUSED",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "422": {
            "description": "VALIDATION_FAILED or REFUSED",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/subsidy/batches/{id}/pay": {
      "post": {
        "tags": [
          "subsidy"
        ],
        "operationId": "payBatch",
        "summary": "支付已审核的批次，返回支付文件各行",
        "description": "Roles: finance_preparer. PostgreSQL refuses a payment that would take 102 银行存款 below zero.",
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "schema": {
              "type": "integer"
            }
          },
          {
            "name": "Idempotency-Key",
            "in": "header",
            "required": true,
            "description": "写操作的幂等键（1–100 个字符）：同一操作重试时用同一个值，服务器返回首次的结果并带 Idempotent-Replayed: true；同一键用于不同请求返回 409 IDEMPOTENCY_KEY_REUSED",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 100
            }
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "type": "object",
                "required": [
                  "date"
                ],
                "properties": {
                  "date": {
                    "type": "string",
                    "example": "2020-07-31"
                  }
                }
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "已支付",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "properties": {
                    "batch": {
                      "type": "integer"
                    },
                    "status": {
                      "type": "string"
                    },
                    "total_fen": {
                      "type": "integer"
                    },
                    "lines": {
                      "type": "array",
                      "items": {
                        "type": "object"
                      }
                    }
                  }
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthenticated"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "description": "BATCH_NOT_FOUND",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "409": {
            "description": "BATCH_NOT_APPROVED, FUND_EXCEEDED or IDEMPOTENCY_KEY_REUSED",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "422": {
            "description": "VALIDATION_FAILED or REFUSED",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/subsidy/batches/{id}/payment-file": {
      "get": {
        "tags": [
          "subsidy"
        ],
        "operationId": "paymentFile",
        "summary": "已支付批次的支付文件（CSV，含大写金额）",
        "description": "Roles: admin, finance_preparer, finance_approver, auditor.",
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "schema": {
              "type": "integer"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "CSV",
            "content": {
              "text/csv": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthenticated"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "description": "BATCH_NOT_FOUND",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "422": {
            "description": "REFUSED: the batch is not paid",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/subsidy/rules": {
      "post": {
        "tags": [
          "subsidy"
        ],
        "operationId": "addRule",
        "summary": "新增补助规则版本（版本一经记录不再修改）",
        "description": "Roles: finance_preparer.",
        "parameters": [
          {
            "name": "Idempotency-Key",
            "in": "header",
            "required": true,
            "description": "写操作的幂等键（1–100 个字符）：同一操作重试时用同一个值，服务器返回首次的结果并带 Idempotent-Replayed: true；同一键用于不同请求返回 409 IDEMPOTENCY_KEY_REUSED",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 100
            }
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "type": "object",
                "required": [
                  "version",
                  "rate_bp",
                  "member_cap",
                  "enterprise_cap",
                  "channels",
                  "effective_from"
                ],
                "properties": {
                  "version": {
                    "type": "integer"
                  },
                  "rate_bp": {
                    "type": "integer",
                    "description": "基点，1000 = 10%"
                  },
                  "member_cap": {
                    "type": "string",
                    "example": "500.00"
                  },
                  "enterprise_cap": {
                    "type": "string",
                    "example": "50000.00"
                  },
                  "channels": {
                    "type": "string",
                    "example": "832平台,直采"
                  },
                  "effective_from": {
                    "type": "string",
                    "example": "2021-01-01"
                  }
                }
              }
            }
          }
        },
        "responses": {
          "201": {
            "description": "已添加",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthenticated"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "409": {
            "description": "RULE_EXISTS or IDEMPOTENCY_KEY_REUSED",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "422": {
            "description": "VALIDATION_FAILED",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/program": {
      "get": {
        "tags": [
          "program"
        ],
        "operationId": "program",
        "summary": "项目、主数据数量和补助规则版本",
        "description": "Roles: admin, finance_preparer, finance_approver, auditor.",
        "responses": {
          "200": {
            "description": "项目",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthenticated"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "description": "PROGRAM_NOT_FOUND",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/periods": {
      "get": {
        "tags": [
          "books"
        ],
        "operationId": "periods",
        "summary": "已结账的月份及其链头",
        "description": "Roles: admin, finance_preparer, finance_approver, auditor.",
        "responses": {
          "200": {
            "description": "结账记录",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "properties": {
                    "closes": {
                      "type": "array",
                      "items": {
                        "type": "object"
                      }
                    }
                  }
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthenticated"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          }
        }
      }
    },
    "/api/v1/periods/{period}/close": {
      "post": {
        "tags": [
          "books"
        ],
        "operationId": "closePeriod",
        "summary": "结账（按月顺序）",
        "description": "Roles: finance_approver. PostgreSQL refuses a month out of order or closed twice.",
        "parameters": [
          {
            "name": "period",
            "in": "path",
            "required": true,
            "schema": {
              "type": "string",
              "pattern": "^[0-9]{4}-[0-9]{2}$"
            }
          },
          {
            "name": "Idempotency-Key",
            "in": "header",
            "required": true,
            "description": "写操作的幂等键（1–100 个字符）：同一操作重试时用同一个值，服务器返回首次的结果并带 Idempotent-Replayed: true；同一键用于不同请求返回 409 IDEMPOTENCY_KEY_REUSED",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 100
            }
          }
        ],
        "responses": {
          "201": {
            "description": "已结账",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthenticated"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "409": {
            "description": "PERIOD_CLOSE_REFUSED or IDEMPOTENCY_KEY_REUSED",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/entries": {
      "post": {
        "tags": [
          "books"
        ],
        "operationId": "postEntries",
        "summary": "记账：relief post 的分录文件（docs/ENTRY-JSON.md），全有或全无",
        "description": "Roles: finance_preparer. Each entry is checked in Swift, then by PostgreSQL at commit.",
        "parameters": [
          {
            "name": "Idempotency-Key",
            "in": "header",
            "required": true,
            "description": "写操作的幂等键（1–100 个字符）：同一操作重试时用同一个值，服务器返回首次的结果并带 Idempotent-Replayed: true；同一键用于不同请求返回 409 IDEMPOTENCY_KEY_REUSED",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 100
            }
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "oneOf": [
                  {
                    "type": "object"
                  },
                  {
                    "type": "array",
                    "items": {
                      "type": "object"
                    }
                  }
                ]
              }
            }
          }
        },
        "responses": {
          "201": {
            "description": "已记账",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "properties": {
                    "entries": {
                      "type": "array",
                      "items": {
                        "type": "object",
                        "properties": {
                          "seq": {
                            "type": "integer"
                          },
                          "voucher": {
                            "type": "string"
                          },
                          "hash": {
                            "type": "string"
                          },
                          "existed": {
                            "type": "boolean"
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthenticated"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "409": {
            "description": "PERIOD_CLOSED or IDEMPOTENCY_KEY_REUSED",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "422": {
            "description": "INVALID_ENTRY, UNKNOWN_CODE, WRONG_BOOK or REFUSED",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/entries/{seq}/reverse": {
      "post": {
        "tags": [
          "books"
        ],
        "operationId": "reverseEntry",
        "summary": "红字冲销链序号为 seq 的分录",
        "description": "Roles: finance_preparer. The reversal's own key is reversal-of-{seq}: an entry is reversed at most once.",
        "parameters": [
          {
            "name": "seq",
            "in": "path",
            "required": true,
            "schema": {
              "type": "integer"
            }
          },
          {
            "name": "Idempotency-Key",
            "in": "header",
            "required": true,
            "description": "写操作的幂等键（1–100 个字符）：同一操作重试时用同一个值，服务器返回首次的结果并带 Idempotent-Replayed: true；同一键用于不同请求返回 409 IDEMPOTENCY_KEY_REUSED",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 100
            }
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "type": "object",
                "required": [
                  "reason",
                  "date"
                ],
                "properties": {
                  "reason": {
                    "type": "string"
                  },
                  "date": {
                    "type": "string",
                    "example": "2020-07-07"
                  }
                }
              }
            }
          }
        },
        "responses": {
          "201": {
            "description": "已冲销",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "properties": {
                    "seq": {
                      "type": "integer"
                    },
                    "voucher": {
                      "type": "string"
                    },
                    "hash": {
                      "type": "string"
                    },
                    "existed": {
                      "type": "boolean"
                    }
                  }
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthenticated"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "description": "ENTRY_NOT_FOUND",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "409": {
            "description": "PERIOD_CLOSED, FUND_EXCEEDED or IDEMPOTENCY_KEY_REUSED",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "422": {
            "description": "VALIDATION_FAILED or REFUSED",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/subsidy/clawbacks": {
      "post": {
        "tags": [
          "subsidy"
        ],
        "operationId": "clawback",
        "summary": "追回补助（repaid: true 记收回款）",
        "description": "Roles: finance_preparer.",
        "parameters": [
          {
            "name": "Idempotency-Key",
            "in": "header",
            "required": true,
            "description": "写操作的幂等键（1–100 个字符）：同一操作重试时用同一个值，服务器返回首次的结果并带 Idempotent-Replayed: true；同一键用于不同请求返回 409 IDEMPOTENCY_KEY_REUSED",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 100
            }
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "type": "object",
                "required": [
                  "enterprise",
                  "amount",
                  "reason",
                  "date"
                ],
                "properties": {
                  "enterprise": {
                    "type": "string"
                  },
                  "amount": {
                    "type": "string",
                    "example": "100.00"
                  },
                  "reason": {
                    "type": "string"
                  },
                  "date": {
                    "type": "string"
                  },
                  "repaid": {
                    "type": "boolean"
                  }
                }
              }
            }
          }
        },
        "responses": {
          "201": {
            "description": "已记账",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "properties": {
                    "seq": {
                      "type": "integer"
                    },
                    "voucher": {
                      "type": "string"
                    },
                    "hash": {
                      "type": "string"
                    },
                    "existed": {
                      "type": "boolean"
                    }
                  }
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthenticated"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "409": {
            "description": "FUND_EXCEEDED or IDEMPOTENCY_KEY_REUSED",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "422": {
            "description": "VALIDATION_FAILED or REFUSED",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/users": {
      "post": {
        "tags": [
          "auth"
        ],
        "operationId": "addUser",
        "summary": "新增用户（bcrypt 密码）",
        "description": "Roles: admin. The stored replay answer never holds the password.",
        "parameters": [
          {
            "name": "Idempotency-Key",
            "in": "header",
            "required": true,
            "description": "写操作的幂等键（1–100 个字符）：同一操作重试时用同一个值，服务器返回首次的结果并带 Idempotent-Replayed: true；同一键用于不同请求返回 409 IDEMPOTENCY_KEY_REUSED",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 100
            }
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "type": "object",
                "required": [
                  "login",
                  "display_name",
                  "role",
                  "password"
                ],
                "properties": {
                  "login": {
                    "type": "string"
                  },
                  "display_name": {
                    "type": "string"
                  },
                  "role": {
                    "type": "string",
                    "enum": [
                      "admin",
                      "finance_preparer",
                      "finance_approver",
                      "enterprise_clerk",
                      "auditor"
                    ]
                  },
                  "enterprise": {
                    "type": "string"
                  },
                  "password": {
                    "type": "string"
                  }
                }
              }
            }
          }
        },
        "responses": {
          "201": {
            "description": "已添加",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthenticated"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "409": {
            "description": "USER_EXISTS or IDEMPOTENCY_KEY_REUSED",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "422": {
            "description": "VALIDATION_FAILED",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/users/{login}/disable": {
      "post": {
        "tags": [
          "auth"
        ],
        "operationId": "disableUser",
        "summary": "停用用户：其会话和令牌立即失效",
        "description": "Roles: admin.",
        "parameters": [
          {
            "name": "login",
            "in": "path",
            "required": true,
            "schema": {
              "type": "string"
            }
          },
          {
            "name": "Idempotency-Key",
            "in": "header",
            "required": true,
            "description": "写操作的幂等键（1–100 个字符）：同一操作重试时用同一个值，服务器返回首次的结果并带 Idempotent-Replayed: true；同一键用于不同请求返回 409 IDEMPOTENCY_KEY_REUSED",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 100
            }
          }
        ],
        "responses": {
          "200": {
            "description": "已停用",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthenticated"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "description": "USER_NOT_FOUND",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/tokens": {
      "post": {
        "tags": [
          "auth"
        ],
        "operationId": "createToken",
        "summary": "为用户创建 API 令牌（只显示一次）",
        "description": "Roles: admin. A retry with the same key answers without the token: it is shown once and stored only as its hash.",
        "parameters": [
          {
            "name": "Idempotency-Key",
            "in": "header",
            "required": true,
            "description": "写操作的幂等键（1–100 个字符）：同一操作重试时用同一个值，服务器返回首次的结果并带 Idempotent-Replayed: true；同一键用于不同请求返回 409 IDEMPOTENCY_KEY_REUSED",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 100
            }
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "type": "object",
                "required": [
                  "login",
                  "days"
                ],
                "properties": {
                  "login": {
                    "type": "string"
                  },
                  "days": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": 366
                  }
                }
              }
            }
          }
        },
        "responses": {
          "201": {
            "description": "令牌",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "properties": {
                    "login": {
                      "type": "string"
                    },
                    "days": {
                      "type": "integer"
                    },
                    "token": {
                      "type": [
                        "string",
                        "null"
                      ]
                    }
                  }
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthenticated"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "description": "USER_NOT_FOUND",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "422": {
            "description": "VALIDATION_FAILED",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    }
  },
  "components": {
    "securitySchemes": {
      "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "Token from POST /api/v1/login (or `relief token create`)."
      }
    },
    "responses": {
      "BadRequest": {
        "description": "INVALID_PERIOD, INVALID_PARAMETER or MALFORMED_JSON",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "Unauthenticated": {
        "description": "UNAUTHENTICATED: no, unknown or expired token",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "Forbidden": {
        "description": "FORBIDDEN: the role may not do this",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "PayloadTooLarge": {
        "description": "PAYLOAD_TOO_LARGE: body over 1 MiB",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "UnsupportedMediaType": {
        "description": "UNSUPPORTED_MEDIA_TYPE: Content-Type is not application/json",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "ValidationFailed": {
        "description": "VALIDATION_FAILED: `field` names the first problem; `problems` lists all",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      }
    },
    "schemas": {
      "Error": {
        "type": "object",
        "required": [
          "error"
        ],
        "properties": {
          "error": {
            "type": "object",
            "required": [
              "code",
              "message",
              "field"
            ],
            "properties": {
              "code": {
                "type": "string",
                "examples": [
                  "VALIDATION_FAILED"
                ]
              },
              "message": {
                "type": "string"
              },
              "field": {
                "type": [
                  "string",
                  "null"
                ]
              },
              "problems": {
                "type": "array",
                "items": {
                  "$ref": "#/components/schemas/Problem"
                }
              }
            }
          }
        }
      },
      "Problem": {
        "type": "object",
        "required": [
          "field",
          "line",
          "message"
        ],
        "properties": {
          "field": {
            "type": [
              "string",
              "null"
            ],
            "examples": [
              "lines[0].amount"
            ]
          },
          "line": {
            "type": [
              "integer",
              "null"
            ]
          },
          "message": {
            "type": "string"
          }
        }
      },
      "LoginRequest": {
        "type": "object",
        "required": [
          "login",
          "password"
        ],
        "properties": {
          "login": {
            "type": "string"
          },
          "password": {
            "type": "string"
          }
        }
      },
      "LoginResponse": {
        "type": "object",
        "required": [
          "token",
          "token_type",
          "expires_in"
        ],
        "properties": {
          "token": {
            "type": "string"
          },
          "token_type": {
            "const": "Bearer"
          },
          "expires_in": {
            "type": "integer",
            "description": "seconds"
          }
        }
      },
      "Me": {
        "type": "object",
        "required": [
          "login",
          "display_name",
          "role",
          "enterprise",
          "enterprise_name"
        ],
        "properties": {
          "login": {
            "type": "string"
          },
          "display_name": {
            "type": "string"
          },
          "role": {
            "enum": [
              "admin",
              "finance_preparer",
              "finance_approver",
              "enterprise_clerk",
              "auditor"
            ]
          },
          "enterprise": {
            "type": [
              "string",
              "null"
            ],
            "description": "统一社会信用代码 of a clerk's enterprise"
          },
          "enterprise_name": {
            "type": [
              "string",
              "null"
            ]
          }
        }
      },
      "Report": {
        "type": "object",
        "required": [
          "title",
          "rows",
          "notes"
        ],
        "description": "A report: rows keyed by column; money as integer fen in keys ending _fen.",
        "properties": {
          "title": {
            "type": "string"
          },
          "rows": {
            "type": "array",
            "items": {
              "type": "object"
            }
          },
          "totals": {
            "type": "object"
          },
          "notes": {
            "type": "array",
            "items": {
              "type": "string"
            }
          }
        }
      },
      "PurchaseRequest": {
        "type": "object",
        "required": [
          "enterprise",
          "supplier",
          "date",
          "channel",
          "purpose",
          "invoice_number",
          "invoice_date",
          "seller_tax_id",
          "lines"
        ],
        "properties": {
          "enterprise": {
            "type": "string",
            "description": "企业统一社会信用代码"
          },
          "supplier": {
            "type": "string",
            "description": "供应商统一社会信用代码"
          },
          "date": {
            "type": "string",
            "format": "date"
          },
          "channel": {
            "enum": [
              "832平台",
              "专馆专区专柜",
              "直采",
              "消费券"
            ]
          },
          "purpose": {
            "enum": [
              "节日慰问",
              "爱心消费",
              "食堂"
            ]
          },
          "invoice_number": {
            "type": "string",
            "pattern": "^([0-9]{8}|[0-9]{20})$"
          },
          "invoice_date": {
            "type": "string",
            "format": "date"
          },
          "seller_tax_id": {
            "type": "string"
          },
          "lines": {
            "type": "array",
            "minItems": 1,
            "maxItems": 500,
            "items": {
              "$ref": "#/components/schemas/PurchaseLineRequest"
            }
          }
        }
      },
      "PurchaseLineRequest": {
        "type": "object",
        "required": [
          "product",
          "quantity",
          "unit",
          "unit_price",
          "amount"
        ],
        "properties": {
          "product": {
            "type": "string",
            "description": "商品编码"
          },
          "quantity": {
            "type": "string",
            "examples": [
              "100"
            ]
          },
          "unit": {
            "type": "string",
            "examples": [
              "斤"
            ]
          },
          "unit_price": {
            "type": "string",
            "examples": [
              "38"
            ]
          },
          "amount": {
            "type": "string",
            "description": "元，两位小数，须等于数量×单价（误差 0.01 内）",
            "examples": [
              "3800.00"
            ]
          }
        }
      },
      "PurchaseLine": {
        "type": "object",
        "required": [
          "line",
          "product",
          "product_name",
          "quantity",
          "unit",
          "unit_price",
          "amount",
          "amount_fen",
          "eligible",
          "reason_codes",
          "reasons"
        ],
        "properties": {
          "line": {
            "type": "integer"
          },
          "product": {
            "type": "string"
          },
          "product_name": {
            "type": "string"
          },
          "quantity": {
            "type": "string"
          },
          "unit": {
            "type": "string"
          },
          "unit_price": {
            "type": "string"
          },
          "amount": {
            "type": "string"
          },
          "amount_fen": {
            "type": "integer"
          },
          "eligible": {
            "type": "boolean"
          },
          "reason_codes": {
            "type": "array",
            "items": {
              "type": "string"
            }
          },
          "reasons": {
            "type": "string"
          }
        }
      },
      "Purchase": {
        "type": "object",
        "required": [
          "purchase_key",
          "enterprise",
          "enterprise_name",
          "supplier",
          "supplier_name",
          "date",
          "channel",
          "purpose",
          "invoice_number",
          "invoice_date",
          "seller_tax_id",
          "created_by",
          "total_fen",
          "eligible_fen",
          "lines"
        ],
        "properties": {
          "purchase_key": {
            "type": "string"
          },
          "enterprise": {
            "type": "string"
          },
          "enterprise_name": {
            "type": "string"
          },
          "supplier": {
            "type": "string"
          },
          "supplier_name": {
            "type": "string"
          },
          "date": {
            "type": "string",
            "format": "date"
          },
          "channel": {
            "type": "string"
          },
          "purpose": {
            "type": "string"
          },
          "invoice_number": {
            "type": "string"
          },
          "invoice_date": {
            "type": "string",
            "format": "date"
          },
          "seller_tax_id": {
            "type": "string"
          },
          "created_by": {
            "type": "string"
          },
          "total_fen": {
            "type": "integer"
          },
          "eligible_fen": {
            "type": "integer"
          },
          "lines": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/PurchaseLine"
            }
          }
        }
      },
      "PurchaseLineListItem": {
        "type": "object",
        "required": [
          "purchase_key",
          "enterprise",
          "enterprise_name",
          "supplier",
          "supplier_name",
          "date",
          "channel",
          "invoice_number",
          "line",
          "product",
          "product_name",
          "quantity",
          "unit",
          "unit_price",
          "amount",
          "amount_fen",
          "eligible",
          "reason_codes",
          "reasons"
        ],
        "properties": {
          "purchase_key": {
            "type": "string"
          },
          "enterprise": {
            "type": "string"
          },
          "enterprise_name": {
            "type": "string"
          },
          "supplier": {
            "type": "string"
          },
          "supplier_name": {
            "type": "string"
          },
          "date": {
            "type": "string",
            "format": "date"
          },
          "channel": {
            "type": "string"
          },
          "invoice_number": {
            "type": "string"
          },
          "line": {
            "type": "integer"
          },
          "product": {
            "type": "string"
          },
          "product_name": {
            "type": "string"
          },
          "quantity": {
            "type": "string"
          },
          "unit": {
            "type": "string"
          },
          "unit_price": {
            "type": "string"
          },
          "amount": {
            "type": "string"
          },
          "amount_fen": {
            "type": "integer"
          },
          "eligible": {
            "type": "boolean"
          },
          "reason_codes": {
            "type": "array",
            "items": {
              "type": "string"
            }
          },
          "reasons": {
            "type": "string"
          }
        }
      },
      "PurchaseLineList": {
        "type": "object",
        "required": [
          "count",
          "lines"
        ],
        "properties": {
          "count": {
            "type": "integer"
          },
          "lines": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/PurchaseLineListItem"
            }
          }
        }
      },
      "Batch": {
        "type": "object",
        "required": [
          "id",
          "period",
          "status",
          "prepared_by",
          "total_fen"
        ],
        "properties": {
          "id": {
            "type": "integer"
          },
          "period": {
            "type": "string"
          },
          "status": {
            "enum": [
              "prepared",
              "approved",
              "paid"
            ]
          },
          "prepared_by": {
            "type": "string"
          },
          "approved_by": {
            "type": "string"
          },
          "total_fen": {
            "type": "integer"
          }
        }
      }
    }
  }
}
"""#
    /// The file as served: the literal above plus the newline that ends the file.
    static var text: String { json + "\n" }
}
