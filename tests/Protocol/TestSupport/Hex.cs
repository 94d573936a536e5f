namespace FastSpinnRelay.Protocol.Tests.TestSupport;

/// <summary>Byte vectors written as spaced hex, e.g. <c>Hex.Bytes("03 08 01 00")</c>, as in a packet capture.</summary>
internal static class Hex
{
    public static byte[] Bytes(string spacedHex) => Convert.FromHexString(spacedHex.Replace(" ", "", StringComparison.Ordinal));
}
