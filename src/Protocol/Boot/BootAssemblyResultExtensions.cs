namespace FastSpinnRelay.Protocol.Boot;

/// <summary>Helpers for <see cref="BootAssemblyResult"/>.</summary>
public static class BootAssemblyResultExtensions
{
    /// <summary>True when the packet was taken (or was a harmless duplicate); false for every problem.</summary>
    public static bool IsAccepted(this BootAssemblyResult result) => result < BootAssemblyResult.UnknownOpcode;
}
