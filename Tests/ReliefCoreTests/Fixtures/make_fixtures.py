#!/usr/bin/env python3
"""Writes purchases.xlsx, the workbook SpreadsheetTests reads: pip install XlsxWriter openpyxl.

The fixture is made by a real spreadsheet library, XlsxWriter, because it writes workbooks the
way Excel does: strings in the shared-string table (xl/sharedStrings.xml), rich text as runs,
styles with built-in and custom number formats. (openpyxl 3.1 writes every string as an
inline string, so it cannot make a shared string; it is used here only to read the result
back as a cross-check.) XlsxWriter stamps fixed ZIP times, so the output is reproducible.

Sheet 采购明细 (the first sheet, the one read):

    企业          日期                 数量     单价        发票号码
    甲公司        2020-05-12           1800000  12.5        12345678901234567890
    甲公司        (empty)              3        0.1         00098765432109876543
    乙农业合作社  2021年1月31日        2.75     1234.5678   04400000000012345678
    "  丙公司 "   2020-02-29 13:30:00  -5       100         1
    丁公司        1900-01-01 (id 14)   TRUE     =D2*2 (25)  44000000000000000001

plus a second sheet 说明 that must be ignored. Run: python3 make_fixtures.py
"""
import datetime
import os

import xlsxwriter

HERE = os.path.dirname(os.path.abspath(__file__))
PATH = os.path.join(HERE, "purchases.xlsx")


def main() -> None:
    workbook = xlsxwriter.Workbook(PATH)
    workbook.set_properties({"created": datetime.datetime(2020, 6, 1)})
    iso_date = workbook.add_format({"num_format": "yyyy-mm-dd"})
    chinese_date = workbook.add_format({"num_format": 'yyyy"年"m"月"d"日"'})
    date_time = workbook.add_format({"num_format": "yyyy-mm-dd h:mm:ss"})
    builtin_date = workbook.add_format({"num_format": 14})
    bold = workbook.add_format({"bold": True})

    sheet = workbook.add_worksheet("采购明细")
    for column, title in enumerate(["企业", "日期", "数量", "单价", "发票号码"]):
        sheet.write_string(0, column, title)

    # Row 2: shared string, ISO-like custom date format, integer, decimal, 20-digit text.
    sheet.write_string(1, 0, "甲公司")
    sheet.write_datetime(1, 1, datetime.datetime(2020, 5, 12), iso_date)
    sheet.write_number(1, 2, 1800000)
    sheet.write_number(1, 3, 12.5)
    sheet.write_string(1, 4, "12345678901234567890")

    # Row 3: the same shared string again, an empty cell in the middle, leading zeros as text.
    sheet.write_string(2, 0, "甲公司")
    sheet.write_number(2, 2, 3)
    sheet.write_number(2, 3, 0.1)
    sheet.write_string(2, 4, "00098765432109876543")

    # Row 4: rich text (two runs), a Chinese custom date format, four decimals.
    sheet.write_rich_string(3, 0, bold, "乙", "农业合作社")
    sheet.write_datetime(3, 1, datetime.datetime(2021, 1, 31), chinese_date)
    sheet.write_number(3, 2, 2.75)
    sheet.write_number(3, 3, 1234.5678)
    sheet.write_string(3, 4, "04400000000012345678")

    # Row 5: surrounding spaces kept, a date-time, a negative integer.
    sheet.write_string(4, 0, "  丙公司 ")
    sheet.write_datetime(4, 1, datetime.datetime(2020, 2, 29, 13, 30), date_time)
    sheet.write_number(4, 2, -5)
    sheet.write_number(4, 3, 100)
    sheet.write_string(4, 4, "1")

    # Row 6: built-in format 14, a boolean, a formula with its saved result.
    sheet.write_string(5, 0, "丁公司")
    sheet.write_number(5, 1, 1, builtin_date)
    sheet.write_boolean(5, 2, True)
    sheet.write_formula(5, 3, "=D2*2", None, 25)
    sheet.write_string(5, 4, "44000000000000000001")

    notes = workbook.add_worksheet("说明")
    notes.write_string(0, 0, "this sheet is not read")
    workbook.close()

    try:
        import openpyxl
    except ImportError:
        return
    for row in openpyxl.load_workbook(PATH).worksheets[0].iter_rows(values_only=True):
        print(row)


if __name__ == "__main__":
    main()
