// fuzz-money: Money.parse (and the decimal parsers of purchase lines, Quantity.parse and
// UnitPrice.parse) on arbitrary text. See docs/FUZZING.md.
import FuzzSupport

runFuzzer(fuzzMoney)
