import Foundation
import HeraldCore
import Testing

@Suite struct TokenBucketTests {
    @Test func burstThenRefillAtTheRate() {
        let start = Date(timeIntervalSince1970: 0)
        var bucket = TokenBucket(rate: .init(perSecond: 2, burst: 3), now: start)
        #expect(bucket.take(now: start) == nil)
        #expect(bucket.take(now: start) == nil)
        #expect(bucket.take(now: start) == nil)
        #expect(bucket.take(now: start) == 0.5)
        #expect(bucket.take(now: start.addingTimeInterval(0.5)) == nil)
        #expect(bucket.take(now: start.addingTimeInterval(10)) == nil)
    }

    /// However many keys come, the table keeps at most its capacity: refilled buckets go first,
    /// then the fullest; a key that is spending its budget keeps its bucket.
    @Test func aBucketTableStaysWithinItsCapacity() {
        let start = Date(timeIntervalSince1970: 0)
        let rate = TokenBucket.Rate(perSecond: 1, burst: 2)
        var table = BucketTable<Int>(capacity: 100)
        // Key 0 drains its bucket; thousands of others pass by once each.
        #expect(table.take(0, rate: rate, now: start) == nil)
        #expect(table.take(0, rate: rate, now: start) == nil)
        for key in 1...10_000 {
            _ = table.take(key, rate: rate, now: start)
            #expect(table.count <= 100)
        }
        #expect(table.take(0, rate: rate, now: start) != nil, "the drained bucket was kept")
        #expect(table.wait(0, now: start) > 0)
        // Later every passer-by has refilled: once the table fills again, they all go and only
        // the keys still spending stay.
        for key in 20_000..<20_020 { _ = table.take(key, rate: rate, now: start.addingTimeInterval(10)) }
        #expect(table.count == 20)
        #expect(table.wait(12_345, now: start) == 0)
    }
}
