#!/usr/bin/env python3
"""Writes the bad-input corpus next to this script (run it from anywhere; the files are committed).

Each file is malformed in one documented way; expected.tsv says which command reads it and which
fragments its error must contain. The codes used (enterprise 91421000070000000H, supplier
93422825010000000U, product XE-1-1) are those of `relief demo`, which the test loads first; it
also closes 2020-01.
"""
import io
import os
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))

ENTERPRISE = "91421000070000000H"
SUPPLIER = "93422825010000000U"
PRODUCT = "XE-1-1"

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def credit_code(first17):
    """GB 32100-2015: the check character of a 统一社会信用代码."""
    total = sum(CHARSET.index(c) * w for c, w in zip(first17, WEIGHTS))
    return first17 + CHARSET[(31 - total % 31) % 31]


assert credit_code(ENTERPRISE[:17]) == ENTERPRISE and credit_code(SUPPLIER[:17]) == SUPPLIER


def write(name, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def csv(lines):
    return "\n".join(lines) + "\n"


ENTERPRISE_HEADER = "统一社会信用代码,企业名称,工会名称,年度,会员人数,年度采购目标（元）"
SUPPLIER_HEADER = "统一社会信用代码,供应商名称,乡镇,村,832平台,认证证书编号,认证开始日期,认证结束日期"
PRODUCT_HEADER = "商品编码,供应商信用代码,商品名称,单位,品类,参考价下限（元）,参考价上限（元）"
PURCHASE_HEADER = "采购单号,企业信用代码,供应商信用代码,采购日期,渠道,用途,发票号码,开票日期,销方税号,商品编码,数量,单位,单价（元）,金额（元）"
BANK_HEADER = "交易日期,摘要,借方发生额,贷方发生额,余额,对方户名,附言"
CONFIRMATION_HEADER = "供应商信用代码,发票号码,金额（元）,销售日期,购买方"


def enterprise(serial, members="120", target="40000", name=None):
    code = credit_code("91421000" + str(80_000_000 + serial).rjust(9, "0"))
    name = name or f"荆州市测试企业{serial}有限公司"
    return f"{code},{name},{name}工会,2020,{members},{target}"


def purchase(key, invoice, date="2020-05-15", quantity="10", unit_price="380", amount="3800", enterprise=ENTERPRISE,
             supplier=SUPPLIER, product=PRODUCT, channel="直采"):
    return f"{key},{enterprise},{supplier},{date},{channel},食堂,{invoice},{date},{supplier},{product},{quantity},斤,{unit_price},{amount}"


# Enterprises ---------------------------------------------------------------------------------
write("enterprises-wrong-header.csv", csv([ENTERPRISE_HEADER.replace("统一社会信用代码", "统一社会信用代玛"), enterprise(1)]))
write("enterprises-missing-column.csv", csv([ENTERPRISE_HEADER.replace(",年度,", ","), enterprise(1).replace(",2020,", ",")]))
write("enterprises-empty.csv", b"")
write("enterprises-bad-money.csv", csv([
    ENTERPRISE_HEADER, enterprise(1, target="12.345"), enterprise(2, target="1e5"), enterprise(3, target="￥abc"),
    enterprise(4, target="-100"),
]))
write("enterprises-bad-checksum.csv", csv([ENTERPRISE_HEADER, ENTERPRISE[:17] + "A" + ",甲公司,甲公司工会,2020,100,10000"]))
write("enterprises-duplicate.csv", csv([ENTERPRISE_HEADER, enterprise(1), enterprise(2), enterprise(1)]))
write("enterprises-unterminated-quote.csv", csv([ENTERPRISE_HEADER, enterprise(1), enterprise(2).replace(",", ",\"", 1), enterprise(3)]))
# Damaged UTF-8: Chinese text throughout, one stray byte on line 4.
damaged = csv([ENTERPRISE_HEADER, enterprise(1), enterprise(2), enterprise(3), enterprise(4)]).encode("utf-8")
line4 = damaged.index(enterprise(3).encode("utf-8"))
write("enterprises-invalid-utf8.csv", damaged[:line4 + 30] + b"\xc3(" + damaged[line4 + 30:])
# GB18030 as Chinese Excel saves it, with a byte on line 3 that is no GB18030 character.
gb = csv([ENTERPRISE_HEADER, enterprise(1), enterprise(2), enterprise(3)]).replace("\n", "\r\n").encode("gb18030")
line3 = gb.index(enterprise(2).encode("gb18030"))
write("enterprises-invalid-gb18030.csv", gb[:line3 + 25] + b"\xff" + gb[line3 + 25:])
write("enterprises-over-long.csv", csv([ENTERPRISE_HEADER + ",开户银行", enterprise(1) + ",中国工商银行", enterprise(2, name="长" * 201) + ",中国工商银行",
                                       enterprise(3) + "," + "银" * 201]))
write("enterprises-nul-byte.csv", csv([ENTERPRISE_HEADER, enterprise(1), enterprise(2).replace("有限公司", "有限\x00公司", 1)]))
# 300 good rows, one bad one near the end: nothing may be imported.
rows = [enterprise(i) for i in range(1, 301)]
rows[249] = enterprise(250, members="abc")
write("enterprises-bad-line-after-many-good.csv", csv([ENTERPRISE_HEADER] + rows))

# Suppliers -----------------------------------------------------------------------------------
supplier2 = credit_code("93422825" + "090000001")
write("suppliers-bad-date.csv", csv([
    SUPPLIER_HEADER, f"{supplier2},宣恩县测试合作社,珠山镇,龙潭村,是,XE-T-1,2020-02-30,",
    f"{supplier2},宣恩县测试合作社,珠山镇,龙潭村,是,XE-T-2,2020/13/01,",
]))
write("suppliers-conflicting-rows.csv", csv([
    SUPPLIER_HEADER, f"{supplier2},宣恩县测试合作社,珠山镇,龙潭村,是,XE-T-1,2020-01-01,",
    f"{supplier2},宣恩县另一个合作社,珠山镇,龙潭村,是,XE-T-2,2020-01-01,",
]))
write("suppliers-bad-832.csv", csv([SUPPLIER_HEADER, f"{supplier2},宣恩县测试合作社,珠山镇,龙潭村,也许,,,"]))

# Products ------------------------------------------------------------------------------------
unknown_supplier = credit_code("93422825" + "099999999")
write("products-unknown-supplier.csv", csv([PRODUCT_HEADER, f"XE-T-1,{unknown_supplier},测试茶,斤,茶叶,200,600"]))
write("products-bad-prices.csv", csv([
    PRODUCT_HEADER, f"XE-T-1,{SUPPLIER},测试茶,斤,茶叶,1e5,600", f"XE-T-2,{SUPPLIER},测试茶,斤,茶叶,600,200",
    f"XE-T-3,{SUPPLIER},测试茶,斤,茶叶,1.23456,600",
]))
write("products-code-with-pipe.csv", csv([PRODUCT_HEADER, f"XE|T|1,{SUPPLIER},测试茶,斤,茶叶,200,600"]))
write("products-duplicate-code.csv", csv([PRODUCT_HEADER, f"XE-T-1,{SUPPLIER},测试茶,斤,茶叶,200,600", f"XE-T-2,{SUPPLIER},测试米,斤,粮油,4,10",
                                          f"XE-T-1,{SUPPLIER},另一种茶,斤,茶叶,300,700"]))


def xlsx(rows, pad_bytes=0):
    """A minimal workbook: inline strings on the first sheet, optionally padded inside sheetData."""
    def cell(column, row, value):
        return f'<c r="{column}{row}" t="inlineStr"><is><t>{value}</t></is></c>'
    sheet_rows = "".join(
        f'<row r="{r}">' + "".join(cell(chr(65 + c), r, v) for c, v in enumerate(values)) + "</row>"
        for r, values in enumerate(rows, start=1))
    parts = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="商品" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in parts.items():
            archive.writestr(zipfile.ZipInfo(name, (2020, 5, 1, 0, 0, 0)), text, zipfile.ZIP_DEFLATED)
        info = zipfile.ZipInfo("xl/worksheets/sheet1.xml", (2020, 5, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w") as sheet:
            sheet.write(('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                         + sheet_rows).encode("utf-8"))
            chunk = b" " * (1 << 20)
            for _ in range(pad_bytes // len(chunk)):
                sheet.write(chunk)
            sheet.write(b"</sheetData></worksheet>")
    return buffer.getvalue()


PRODUCT_ROWS = [PRODUCT_HEADER.split(","), ["XE-T-1", SUPPLIER, "测试茶", "斤", "茶叶", "200", "600"],
                ["XE-T-2", SUPPLIER, "测试米", "斤", "粮油", "四元", "10"]]
write("products-bad-cell.xlsx", xlsx(PRODUCT_ROWS))
whole = xlsx(PRODUCT_ROWS)
write("products-truncated.xlsx", whole[: len(whole) * 2 // 3])
# Decompresses to 210 MB of spaces: more than the 200 MB any workbook may unpack to.
write("products-zip-bomb.xlsx", xlsx(PRODUCT_ROWS, pad_bytes=210 << 20))
write("products-not-a-zip.xlsx", bytes((i * 151 + 7) % 256 for i in range(4096)))
write("products-old-excel.xlsx", bytes([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) + bytes(504))

# Purchases -----------------------------------------------------------------------------------
write("purchases-missing-column.csv", csv([PURCHASE_HEADER.replace(",发票号码", ""), purchase("BAD-1", "71000001").replace(",71000001", "", 1)]))
write("purchases-unknown-codes.csv", csv([
    PURCHASE_HEADER, purchase("BAD-1", "71000001", enterprise=credit_code("91421000099999999")),
    purchase("BAD-2", "71000002", supplier=unknown_supplier), purchase("BAD-3", "71000003", product="XE-NONE"),
]))
write("purchases-closed-month.csv", csv([PURCHASE_HEADER, purchase("BAD-1", "71000001", date="2020-01-15")]))
write("purchases-bad-numbers.csv", csv([
    PURCHASE_HEADER, purchase("BAD-1", "71000001", amount="3800.005"), purchase("BAD-2", "71000002", unit_price="abc"),
    purchase("BAD-3", "71000003", quantity="1e5"), purchase("BAD-4", "71000004", amount="-3800"),
    purchase("BAD-5", "71000005", amount="3900"),
]))
write("purchases-bad-fields.csv", csv([
    PURCHASE_HEADER, purchase("BAD-1", "7100001"), purchase("BAD-2", "71000002", channel="网购"),
    purchase("BAD-3", "71000003", date="2020-02-30"), purchase("K" * 101, "71000004"),
]))
write("purchases-invoice-twice.csv", csv([PURCHASE_HEADER, purchase("BAD-1", "71000001"), purchase("BAD-2", "71000001")]))
rows = [purchase(f"MID-{i:03d}", f"7200{i:04d}") for i in range(1, 201)]
rows[178] = purchase("MID-179", "72000179", date="2020-05-32")
write("purchases-bad-line-after-many-good.csv", csv([PURCHASE_HEADER] + rows))

# Bank statements -----------------------------------------------------------------------------
write("bank-missing-amounts.csv", csv(["交易日期,摘要,余额", "2020-05-06,转账,100.00"]))
write("bank-bad-lines.csv", csv([
    BANK_HEADER, "2020-05-06,转账,,100.00,100.00,荆州市总工会,拨款", "2020-05-07,转账,10.00,10.00,100.00,,",
    "2020-05-08,转账,-5.00,,105.00,,", "2020-05-32,转账,1.00,,104.00,,", "2020-05-09,转账,1e3,,104.00,,",
]))
write("bank-balance-broken.csv", csv([BANK_HEADER, "2020-05-06,转账,,100.00,100.00,,", "2020-05-07,转账,30.00,,80.00,,"]))
write("bank-over-long.csv", csv([BANK_HEADER, "2020-05-06,转账,,100.00,100.00,荆州市总工会," + "附" * 501]))

# Supplier confirmations ----------------------------------------------------------------------
write("confirmations-bad-lines.csv", csv([
    CONFIRMATION_HEADER, SUPPLIER[:17] + "A,71000001,100.00,2020-05-01,甲", f"{SUPPLIER},7100001,100.00,2020-05-01,甲",
    f"{SUPPLIER},71000001,0,2020-05-01,甲", f"{SUPPLIER},71000001,100.00,5/1/2020,甲", f"{SUPPLIER},71000001,100.00,2020-05-01," + "甲" * 201,
]))
write("confirmations-wrong-header.csv", csv(["供应商,发票,金额,日期", f"{SUPPLIER},71000001,100.00,2020-05-01"]))

# Entries (relief post --file) ----------------------------------------------------------------


def entry(key, date="2020-05-20", debit='"100.00"', credit='"100.00"', account="102", description="测试", extra=""):
    return ('{"date":"%s","idempotency_key":"%s","description":"%s","postings":[{"account":"%s","side":"借","amount":%s%s},'
            '{"account":"403","side":"贷","amount":%s}]}') % (date, key, description, account, debit, extra, credit)


write("entry-unbalanced.json", entry("bad-unbalanced", credit='"99.99"'))
write("entry-wrong-type.json", entry("bad-type", debit="100", credit="100"))
write("entry-unknown-account.json", entry("bad-account", account="999"))
write("entry-closed-month.json", entry("bad-closed", date="2020-01-20"))
write("entry-not-json.json", '{"date": "2020-05-20", "postings": [')
write("entry-bad-amount.json", entry("bad-amount", debit='"12.345"', credit='"12.345"'))
write("entry-negative-fen.json", entry("bad-negative").replace('"amount":"100.00"}', '"amount_fen":-10000}', 1))
write("entry-bad-date.json", entry("bad-date", date="2020-02-30"))
write("entry-nul.json", entry("bad-nul", description="a\\u0000b"))
write("entry-invalid-utf8.json", entry("bad-utf8").encode("utf-8").replace("测试".encode("utf-8"), b"\xe6\xb5"))
write("entry-unknown-dimension.json", entry("bad-dimension", extra=',"enterprise":"NOPE"'))
write("entry-bad-line-after-many-good.json",
      "[" + ",\n".join(entry(f"mid-{i:03d}") if i != 120 else entry(f"mid-{i:03d}", credit='"100.01"') for i in range(150)) + "]")
print("corpus written to", HERE)
