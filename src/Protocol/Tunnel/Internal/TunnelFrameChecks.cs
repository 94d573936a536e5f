namespace FastSpinnRelay.Protocol.Tunnel.Internal;

/// <summary>Field-value checks shared by the readers and the writers.</summary>
internal static class TunnelFrameChecks
{
    public static bool IsAuthMethod(byte value) => value is (byte)TunnelAuthMethod.PreSharedKey or (byte)TunnelAuthMethod.ClientCertificate;

    public static bool IsChannelKind(byte value) => value is >= (byte)TunnelChannelKind.Scp and <= (byte)TunnelChannelKind.EieioInput;

    public static bool IsPrintableAscii(ReadOnlySpan<byte> text) => !text.ContainsAnyExceptInRange((byte)0x20, (byte)0x7E);

    /// <summary>Address length for an OPEN family byte (0, 4, 6), or -1 for any other value.</summary>
    public static int AddressLength(byte family) => family switch
    {
        0 => 0,
        4 => 4,
        6 => 16,
        _ => -1,
    };
}
