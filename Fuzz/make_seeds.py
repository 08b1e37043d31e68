#!/usr/bin/env python3
"""Writes the seed corpus of the fuzzers into Fuzz/corpus/<fuzzer>/ (docs/FUZZING.md).

Run once from anywhere: python3 Fuzz/make_seeds.py (needs XlsxWriter: pip install XlsxWriter).
The seeds are committed; this script says where they came from and makes them again. Inputs
that once made a fuzzer fail are added to the corpus by hand (named regress-*) and are kept
when the script is run again.

- fuzz-money: amounts as clerks type them, valid and not (one per file).
- fuzz-csv: small CSV files in UTF-8, UTF-8 with BOM and GB18030, with quotes, doubled quotes,
  line breaks inside quotes, CRLF/LF/CR, empty lines, short rows, UTF-16 and .xls signatures.
- fuzz-xlsx: small workbooks written like ReliefCore's XLSXWriter (inline strings) and by
  XlsxWriter (shared strings, rich text, date styles, a formula), plus the test fixture.
- fuzz-purchase-import: purchase files in the documented layout (docs/IMPORTS.md) with valid
  credit codes and invoice numbers, as CSV (all three encodings) and XLSX, valid and not.
"""
import datetime
import io
import os
import shutil
import zipfile

import xlsxwriter

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
FIXTURE = os.path.join(HERE, "..", "Tests", "ReliefCoreTests", "Fixtures", "purchases.xlsx")

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def credit_code(first17: str) -> str:
    """A unified social credit code (GB 32100-2015) with its check character."""
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS))
    return first17 + ALPHABET[(31 - total % 31) % 31]


ENTERPRISE = credit_code("91420100MA4K" + "00001")
ENTERPRISE_2 = credit_code("91420100MA4K" + "00002")
SUPPLIER = credit_code("93422825" + "100000" + "130")
SUPPLIER_2 = credit_code("92422825" + "100000" + "260")


def folder(name: str) -> str:
    path = os.path.join(CORPUS, name)
    os.makedirs(path, exist_ok=True)
    for entry in os.listdir(path):
        if entry.startswith("seed-"):
            os.remove(os.path.join(path, entry))
    return path


def write(path: str, name: str, data: bytes) -> None:
    with open(os.path.join(path, "seed-" + name), "wb") as file:
        file.write(data)


def money() -> None:
    path = folder("fuzz-money")
    amounts = [
        "0", "1", "18000", "18000.5", "18000.50", "0.01", "-0.01", "1,234.56", "12,345,678.90",
        "¥12.3", "￥1,000", "-¥5", "¥-5", "  42  ", "\u3000100\u3000", "100000000000.00",
        "100000000000.01", "99999999999999999999999", "1.005", "1.000", "1.999", ".5", "5.",
        "-.5", "1,8000", "1,000,00", "1e3", "1E-2", "+1", "--1", "1 000", "１２３", "1.2.3",
        "1,000.5,0", "¥", "-", "", "   ", "0.1234567890123456789", "٣", "12\u0301", "NaN",
        "-0", "0000000000000000000001.00", "9,999,999,999.99", "1,", ",1", "¥¥1",
    ]
    for index, text in enumerate(amounts):
        write(path, f"{index:02d}", text.encode("utf-8"))


def csv() -> None:
    path = folder("fuzz-csv")
    files = {
        "basic.csv": "企业,发票号码,金额\r\n甲公司,12345678901234567890,18000.00\r\n",
        "quotes.csv": 'a,b,c\n"x, y","he said ""hi""","line\nbreak"\n1,2,3\n',
        "cr-only.csv": "a,b\r1,2\r3,4\r",
        "empty-lines.csv": "a,b\n\n1,2\n\n\n",
        "short-row.csv": "a,b,c\n1,2\n",
        "stray-quote.csv": 'a,b\n1,x"y\n"open,2\n',
        "after-quote.csv": 'a,b\n"q"tail,2\n',
        "header-spaces.csv": " 企业 ,\t发票号码,\u3000金额\u3000\n甲,1,2\n",
        "no-newline.csv": "a,b\n1,2",
        "one-column.csv": "a\n\n1\n",
        "empty.csv": "",
        "only-commas.csv": ",,\n,,\n",
    }
    for name, text in files.items():
        write(path, name, text.encode("utf-8"))
    write(path, "bom.csv", b"\xef\xbb\xbf" + "企业,金额\n乙公司,1.00\n".encode("utf-8"))
    write(path, "gb18030.csv", "企业,发票号码,金额\r\n甲公司,12345678901234567890,18000.00\r\n丙公司,1,2\r\n".encode("gb18030"))
    write(path, "gb18030-4byte.csv", "名称,值\n\u20ac\U0001F600𠀀,1\n".encode("gb18030"))
    write(path, "damaged-utf8.csv", "企业,金额\n甲公司,".encode("utf-8") + b"\xff" + "乙公司丙公司\n".encode("utf-8"))
    write(path, "utf16.csv", "a,b\n".encode("utf-16"))
    write(path, "xls.csv", bytes([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) + b"\x00" * 24)


XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"


def column_name(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        name = chr(65 + remainder) + name
    return name


def escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def inline_workbook(rows, numbers=()) -> bytes:
    """A workbook laid out as ReliefCore's XLSXWriter writes it: inline strings, one sheet."""
    cells = []
    for r, row in enumerate(rows, start=1):
        parts = []
        for c, value in enumerate(row):
            ref = f"{column_name(c)}{r}"
            if (r, c) in numbers:
                parts.append(f'<c r="{ref}"><v>{value}</v></c>')
            else:
                parts.append(f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escaped(value)}</t></is></c>')
        cells.append(f'<row r="{r}">' + "".join(parts) + "</row>")
    sheet = XML + f'<worksheet xmlns="{MAIN}"><sheetData>' + "".join(cells) + "</sheetData></worksheet>"
    parts = {
        "[Content_Types].xml": XML
        + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        + '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        + '<Default Extension="xml" ContentType="application/xml"/></Types>',
        "_rels/.rels": XML
        + f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" Type="{RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": XML
        + f'<workbook xmlns="{MAIN}" xmlns:r="{RELS}"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": XML
        + f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" Type="{RELS}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": sheet,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text.encode("utf-8"))
    return buffer.getvalue()


def xlsxwriter_workbook(rows, dates=False) -> bytes:
    """A workbook as XlsxWriter (like Excel) writes it: shared strings, styles, numbers."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    workbook.set_properties({"created": datetime.datetime(2020, 6, 1)})
    sheet = workbook.add_worksheet("采购明细")
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    bold = workbook.add_format({"bold": True})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, (int, float)):
                sheet.write_number(r, c, value)
            elif isinstance(value, datetime.datetime):
                sheet.write_datetime(r, c, value, date_format)
            else:
                sheet.write_string(r, c, value)
    if dates:
        sheet.write_rich_string(len(rows), 0, "富", bold, "文本")
        sheet.write_formula(len(rows), 1, "=1+1", None, 2)
    workbook.close()
    return buffer.getvalue()


def xlsx() -> None:
    path = folder("fuzz-xlsx")
    write(path, "inline.xlsx", inline_workbook([["企业", "金额"], ["甲公司", "18000.00"], ["_x000D_", "a\rb"]]))
    write(path, "inline-numbers.xlsx", inline_workbook([["a", "b"], ["x", "12.5"]], numbers={(2, 1)}))
    write(path, "shared.xlsx", xlsxwriter_workbook(
        [["企业", "日期", "数量"], ["甲公司", datetime.datetime(2020, 5, 12), 1800000], ["乙", datetime.datetime(1900, 1, 1), 2.75]],
        dates=True))
    with open(FIXTURE, "rb") as file:
        write(path, "fixture-purchases.xlsx", file.read())
    # The XML layer: each workbook's parts, NUL-separated, which fuzz-xlsx packs into a ZIP.
    for name in sorted(os.listdir(path)):
        if name.startswith("seed-") and name.endswith(".xlsx"):
            with zipfile.ZipFile(os.path.join(path, name)) as archive:
                names = set(archive.namelist())
                parts = [archive.read(part) if part in names else b"" for part in PARTS]
            write(path, name[len("seed-"):-len(".xlsx")] + ".parts", b"\0".join(parts))


# The order of the NUL-separated parts of a fuzz-xlsx input that is not a ZIP archive
# (partPaths in Fuzz/Sources/fuzz-xlsx/FuzzXLSX.swift).
PARTS = ["xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "xl/styles.xml", "xl/workbook.xml",
         "xl/_rels/workbook.xml.rels", "_rels/.rels"]


HEADER = ["采购单号", "企业信用代码", "供应商信用代码", "采购日期", "渠道", "用途", "发票号码", "开票日期",
          "销方税号", "商品编码", "数量", "单位", "单价（元）", "金额（元）"]
ENGLISH = ["purchase_key", "enterprise", "supplier", "date", "channel", "purpose", "invoice_number",
           "invoice_date", "seller_tax_id", "product", "quantity", "unit", "unit_price", "amount"]
GOOD = [
    ["PO202005-1", ENTERPRISE, SUPPLIER, "2020-05-12", "832平台", "节日慰问", "44200000000000000001", "2020-05-12",
     SUPPLIER, "XE-1-1", "100", "斤", "12.5", "1250.00"],
    ["PO202005-1", ENTERPRISE, SUPPLIER, "2020-05-12", "832平台", "节日慰问", "44200000000000000001", "2020-05-12",
     SUPPLIER, "XE-1-2", "12.5", "箱", "3.3333", "41.67"],
    ["PO202005-2", ENTERPRISE_2, SUPPLIER_2, "2020-02-29", "直采", "食堂", "12345678", "2020-03-01",
     " " + SUPPLIER_2 + " ", "XE-2-1", "1,000.125", "kg", "¥8", "8,001.00"],
    ["PO202005-3", ENTERPRISE, SUPPLIER_2, "2020-01-31", "消费券", "爱心消费", "44200000000000000003", "2020-01-31",
     SUPPLIER, "XE-2-2", "0.001", "g", "0.0001", "0.01"],
]
BAD = [
    ["", "91420100MA4K00001X", SUPPLIER, "2020-13-01", "网购", "送礼", "4420", "20200512",
     "", "", "-1", "", "1.00001", "1e3"],
    ["PO202005-4", ENTERPRISE, SUPPLIER, "2020-05-12", "直采", "食堂", "442000000000", "2020-05-12",
     SUPPLIER, "XE-1-1", "3", "斤", "3.33", "10.00"],
]


def lines(rows) -> str:
    return "".join(",".join(f'"{c}"' if "," in c else c for c in row) + "\r\n" for row in rows)


def purchases() -> None:
    path = folder("fuzz-purchase-import")
    write(path, "valid.csv", lines([HEADER] + GOOD).encode("utf-8"))
    write(path, "valid-bom.csv", b"\xef\xbb\xbf" + lines([ENGLISH] + GOOD).encode("utf-8"))
    write(path, "valid-gb18030.csv", lines([HEADER] + GOOD).encode("gb18030"))
    write(path, "problems.csv", lines([HEADER] + BAD + GOOD[:1]).encode("utf-8"))
    write(path, "headers.csv", lines([HEADER[:3] + ["未知列", "采购单号"] + HEADER[5:-1], GOOD[0][:-1]]).encode("utf-8"))
    write(path, "valid.xlsx", inline_workbook([HEADER] + GOOD))
    write(path, "valid-shared.xlsx", xlsxwriter_workbook([HEADER] + GOOD[:2]))


if __name__ == "__main__":
    money()
    csv()
    xlsx()
    purchases()
    for name in sorted(os.listdir(CORPUS)):
        print(name, len(os.listdir(os.path.join(CORPUS, name))))
