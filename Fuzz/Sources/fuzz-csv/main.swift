// fuzz-csv: TableReader.read on CSV bytes (UTF-8, UTF-8 with BOM, GB18030, or neither).
// See docs/FUZZING.md.
import FuzzSupport

runFuzzer(fuzzCSV)
