// fuzz-purchase-import: the pure part of validating a purchase file (TableReader.read →
// ImportLayouts.purchases.map → RecordParser.purchases → EligibilityRules.judge).
// See docs/FUZZING.md.
import FuzzSupport

runFuzzer(fuzzPurchaseImport)
