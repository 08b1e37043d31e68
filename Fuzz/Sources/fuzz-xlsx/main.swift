// fuzz-xlsx: TableReader.read on .xlsx workbooks (ZIP archives of XML parts). See docs/FUZZING.md.
import FuzzSupport

runFuzzer(fuzzXLSX)
