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
          }
        }
      }
    },
    "/api/v1/reports/trial-balance": {
      "get": {
        "tags": [
          "books"
        ],
        "operationId": "trialBalance",
        "summary": "科目余额表",
        "description": "Roles: admin, finance_preparer, finance_approver, auditor.",
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
            "description": "科目余额表",
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
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
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
