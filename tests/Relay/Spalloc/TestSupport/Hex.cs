namespace FastSpinnRelay.Relay.Tests.Spalloc.TestSupport;

/// <summary>Frames written as hex with spaces between words (e.g. "00000000 07000000").</summary>
internal static class Hex
{
    public static byte[] Parse(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));
}
