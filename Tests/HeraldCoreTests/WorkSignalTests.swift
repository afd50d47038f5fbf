import HeraldCore
import Testing

/// "Work available": one announcement wakes every worker once; a busy worker misses none.
@Suite struct WorkSignalTests {
    @Test func everySubscriberIsWokenOncePerAnnouncement() async {
        let signal = WorkSignal()
        var first = signal.subscribe().makeAsyncIterator()
        var second = signal.subscribe().makeAsyncIterator()
        signal.announce()
        #expect(await first.next() != nil)
        #expect(await second.next() != nil)
    }

    @Test func announcementsWhileBusyAreNotLost() async {
        let signal = WorkSignal()
        let stream = signal.subscribe()
        // The worker is busy (not reading) while work is announced; it still wakes afterwards.
        for _ in 0..<5 { signal.announce() }
        var iterator = stream.makeAsyncIterator()
        #expect(await iterator.next() != nil)
        signal.announce()
        #expect(await iterator.next() != nil)
    }

    @Test func aSubscriptionTakesOnlyLaterAnnouncements() async {
        let signal = WorkSignal()
        signal.announce()
        let stream = signal.subscribe()
        signal.announce()
        var iterator = stream.makeAsyncIterator()
        #expect(await iterator.next() != nil)
    }
}
