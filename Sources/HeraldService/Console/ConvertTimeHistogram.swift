import Foundation
import JourneyEngine

/// Time to convert kept as a small histogram of journey-wide counters, so the console can show a
/// median without reading customers: counters give sums, not medians.
///
/// Buckets are log-spaced, two per doubling: bucket 0 holds times under 1 s, bucket `i` (1…46)
/// times in `[2^((i-1)/2), 2^(i/2))` seconds, and bucket 47 everything from 2^23 s (97 days) on.
/// The engine's commit adds one to `convert_time:<i>` for each conversion
/// (``EngineRecords``); ``median(_:)`` interpolates linearly inside the bucket that holds the
/// middle conversion, so it is exact to within that bucket (a factor of √2).
///
/// ```swift
/// ConvertTimeHistogram.metric(seconds: 3_600)      // "convert_time:24"
/// ConvertTimeHistogram.median([24: 3])              // ≈ 3_500 s (inside [2896, 4096))
/// ```
enum ConvertTimeHistogram {
    static let prefix = "convert_time:"
    /// The open-ended bucket.
    static let lastBucket = 47

    static func bucket(seconds: Double) -> Int {
        guard seconds >= 1 else { return 0 }
        // Bucket i holds [2^((i-1)/2), 2^(i/2)): i = floor(2·log2(s)) + 1.
        return min(lastBucket, Int((2 * log2(seconds)).rounded(.down)) + 1)
    }

    static func metric(seconds: Double) -> String { prefix + String(bucket(seconds: seconds)) }

    static func lowerBound(_ bucket: Int) -> Double { bucket == 0 ? 0 : pow(2, Double(bucket - 1) / 2) }
    static func upperBound(_ bucket: Int) -> Double? { bucket >= lastBucket ? nil : pow(2, Double(bucket) / 2) }

    /// The buckets among a version's journey-wide metrics (`convert_time:<i>` → count).
    static func buckets(_ metrics: [String: Int64]) -> [Int: Int64] {
        var result: [Int: Int64] = [:]
        for (metric, count) in metrics where metric.hasPrefix(prefix) && count > 0 {
            if let index = Int(metric.dropFirst(prefix.count)), (0...lastBucket).contains(index) { result[index, default: 0] += count }
        }
        return result
    }

    /// The median time to convert, interpolated in its bucket, or `nil` without conversions.
    /// `atLeast` is true when the median falls in the open-ended last bucket.
    static func median(_ buckets: [Int: Int64]) -> (seconds: Double, atLeast: Bool)? {
        let total = buckets.values.reduce(0, +)
        guard total > 0 else { return nil }
        let middle = Double(total) / 2
        var below: Int64 = 0
        for index in buckets.keys.sorted() {
            let count = buckets[index]!
            if Double(below + count) >= middle {
                let lower = lowerBound(index)
                guard let upper = upperBound(index) else { return (lower, true) }
                return (lower + (upper - lower) * (middle - Double(below)) / Double(count), false)
            }
            below += count
        }
        return nil
    }

    /// For a page: "≈ 1 h 2 min", "≥ 97 d", or "–".
    static func medianText(_ buckets: [Int: Int64]) -> String {
        guard let median = median(buckets) else { return "–" }
        return (median.atLeast ? "≥ " : "≈ ") + DurationText.format(median.seconds)
    }
}
