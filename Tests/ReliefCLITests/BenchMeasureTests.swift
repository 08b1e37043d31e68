import Testing

@testable import ReliefCLI

/// The bench's (a) and (b) take turns in rounds (session 11): the rounds of one figure must add up
/// to the figure a single run of the same length would give.
@Suite("bench rounds")
struct BenchMeasureTests {
    @Test func roundsAddUpTheirOperationsSecondsLatenciesAndTransactions() {
        var sample = LatencySample()
        #expect(sample.perSecond == 0 && sample.entriesPerTransaction == 0)
        // 800 entries in 100 transactions, then 1,600 in 100: 2,400 in 200, 12 per transaction.
        sample.append(LatencySample(count: 800, seconds: 2, latenciesMicroseconds: [3, 1], entriesPerTransaction: 8))
        sample.append(LatencySample(count: 1_600, seconds: 2, latenciesMicroseconds: [2], entriesPerTransaction: 16))
        #expect(sample.count == 2_400)
        #expect(sample.seconds == 4)
        #expect(sample.perSecond == 600)
        #expect(sample.latenciesMicroseconds.sorted() == [1, 2, 3])
        #expect(sample.entriesPerTransaction == 12)
        #expect(sample.percentileMilliseconds(0.5) == 0.002)
    }

    @Test func roundsWithoutTransactionsStayWithout() {
        var sample = LatencySample()
        sample.append(LatencySample(count: 10, seconds: 1, latenciesMicroseconds: Array(repeating: 5, count: 10)))
        sample.append(LatencySample(count: 30, seconds: 1, latenciesMicroseconds: Array(repeating: 7, count: 30)))
        #expect(sample.perSecond == 20)
        #expect(sample.entriesPerTransaction == 0)
    }

    @Test func aRunIsSharedIntoAtMostFiveRoundsOfWholeSeconds() {
        let full = BenchPlan(quick: false, secondsOverride: nil)
        #expect(full.postingRounds == 5 && full.sliceSeconds == 2)
        let quick = BenchPlan(quick: true, secondsOverride: nil)
        #expect(quick.postingRounds == 3 && quick.sliceSeconds == 1)
        let one = BenchPlan(quick: true, secondsOverride: 1)
        #expect(one.postingRounds == 1 && one.sliceSeconds == 1)
        let seven = BenchPlan(quick: false, secondsOverride: 7)
        #expect(seven.postingRounds == 5 && seven.sliceSeconds == 1)
    }
}
