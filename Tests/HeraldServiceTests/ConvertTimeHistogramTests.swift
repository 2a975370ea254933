import Testing

@testable import HeraldService

/// The time-to-convert histogram: log-spaced buckets, and a median interpolated inside its bucket.
struct ConvertTimeHistogramTests {
    @Test(arguments: [
        (0.0, 0), (0.5, 0), (1.0, 1), (1.41, 1), (1.42, 2), (2.0, 3), (60.0, 12), (3_600.0, 24), (86_400.0, 33),
        (8_388_608.0, 47), (1e12, 47),
    ])
    func aTimeFallsInItsBucket(_ seconds: Double, _ bucket: Int) {
        #expect(ConvertTimeHistogram.bucket(seconds: seconds) == bucket)
        #expect(ConvertTimeHistogram.lowerBound(bucket) <= seconds)
        if let upper = ConvertTimeHistogram.upperBound(bucket) { #expect(seconds < upper) }
    }

    @Test func theMedianIsInterpolatedInsideTheMiddleBucket() throws {
        #expect(ConvertTimeHistogram.median([:]) == nil)
        #expect(ConvertTimeHistogram.medianText([:]) == "–")
        // One conversion in [2896, 4096): the middle of the bucket.
        let one = try #require(ConvertTimeHistogram.median([24: 1]))
        #expect(abs(one.seconds - (2_896.3 + 4_096) / 2) < 1 && !one.atLeast)
        // Three fast, one slow: the median lies among the fast ones, not at the mean.
        let skewed = try #require(ConvertTimeHistogram.median([12: 3, 40: 1]))
        #expect(skewed.seconds >= 45.25 && skewed.seconds < 64)
        // Every time within a factor √2 of a known median is reported within that factor.
        for seconds: Double in [5, 90, 3_600, 172_800] {
            let buckets = [ConvertTimeHistogram.bucket(seconds: seconds): Int64(5)]
            let median = try #require(ConvertTimeHistogram.median(buckets)).seconds
            #expect(median / seconds < 2.0.squareRoot() && seconds / median < 2.0.squareRoot(), "\(seconds) → \(median)")
        }
        // The open last bucket says "at least".
        #expect(ConvertTimeHistogram.medianText([47: 2]) == "≥ 97d 2h 10m 8s")
        // Metrics that are not buckets are ignored.
        #expect(
            ConvertTimeHistogram.buckets(["convert_time:24": 2, "convert_time:x": 5, "convert_time:99": 1, "converted": 3]) == [24: 2])
    }
}
