import Foundation

/// The statistics of experiment variants (the dry-run report gives them per variant; winner rules
/// are decided with them in the dry-run and the service alike): a 95 % interval for the
/// conversion rate (Wilson score), a 95 % interval for the difference against the control group
/// (Newcombe's hybrid score method, from the two Wilson intervals), and the p-value of a pooled
/// two-proportion z-test. Samples too small for the normal approximation are flagged instead of
/// being given a verdict.
public enum ExperimentStatistics {
    /// The two-sided 95 % normal quantile.
    public static let z = 1.959_963_984_540_054
    /// Fewest entries per group before a comparison is reported as meaningful.
    public static let minimumEntries = 30
    /// Fewest conversions, and non-conversions, per group (the normal approximation's rule).
    public static let minimumOutcomes = 5

    /// The Wilson score interval of `successes` out of `trials` (`nil` for no trials).
    public static func wilson(_ successes: Int, _ trials: Int) -> ClosedRange<Double>? {
        guard trials > 0 else { return nil }
        let n = Double(trials)
        let p = Double(successes) / n
        let z2 = z * z
        let denominator = 1 + z2 / n
        let center = (p + z2 / (2 * n)) / denominator
        let margin = z * ((p * (1 - p) / n + z2 / (4 * n * n)).squareRoot()) / denominator
        return max(0, center - margin)...min(1, center + margin)
    }

    /// The 95 % interval of (variant rate − control rate).
    public static func difference(_ a: (Int, Int), _ b: (Int, Int)) -> ClosedRange<Double>? {
        guard let ia = wilson(a.0, a.1), let ib = wilson(b.0, b.1) else { return nil }
        let pa = Double(a.0) / Double(a.1)
        let pb = Double(b.0) / Double(b.1)
        let d = pa - pb
        let lower = d - ((pa - ia.lowerBound) * (pa - ia.lowerBound) + (ib.upperBound - pb) * (ib.upperBound - pb)).squareRoot()
        let upper = d + ((ia.upperBound - pa) * (ia.upperBound - pa) + (pb - ib.lowerBound) * (pb - ib.lowerBound)).squareRoot()
        return lower...upper
    }

    /// The two-sided p-value of the pooled two-proportion z-test (1 when nothing varies).
    public static func pValue(_ a: (Int, Int), _ b: (Int, Int)) -> Double? {
        guard a.1 > 0, b.1 > 0 else { return nil }
        let pooled = Double(a.0 + b.0) / Double(a.1 + b.1)
        let se = (pooled * (1 - pooled) * (1 / Double(a.1) + 1 / Double(b.1))).squareRoot()
        guard se > 0 else { return 1 }
        let zScore = (Double(a.0) / Double(a.1) - Double(b.0) / Double(b.1)) / se
        return erfc(abs(zScore) / 2.0.squareRoot())
    }

    /// Whether both groups are large enough for the comparison to mean something.
    public static func enoughData(_ a: (Int, Int), _ b: (Int, Int)) -> Bool {
        [a, b].allSatisfy { group in
            group.1 >= minimumEntries && group.0 >= minimumOutcomes && group.1 - group.0 >= minimumOutcomes
        }
    }
}
