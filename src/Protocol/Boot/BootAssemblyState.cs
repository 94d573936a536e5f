namespace FastSpinnRelay.Protocol.Boot;

/// <summary>Where a <see cref="BootImageAssembler"/> is in the START, BLOCK…, END sequence.</summary>
public enum BootAssemblyState : byte
{
    /// <summary>No START seen since construction or <see cref="BootImageAssembler.Reset"/>.</summary>
    Idle = 0,

    /// <summary>START seen; collecting blocks until a complete END.</summary>
    Receiving,

    /// <summary>END arrived with every block; the image is available.</summary>
    Complete,
}
