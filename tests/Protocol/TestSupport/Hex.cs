namespace FastSpinnRelay.Protocol.Tests.TestSupport;

/// <summary>Byte vectors written out by hand: "00 00 87 FF" (spaces and line breaks ignored).</summary>
internal static class Hex
{
    public static byte[] Bytes(string hex) =>
        Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal));

    public static string Of(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes);
}
