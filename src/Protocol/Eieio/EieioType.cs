namespace FastSpinnRelay.Protocol.Eieio;

/// <summary>Element layout of an EIEIO data packet (header bits 11–10).</summary>
public enum EieioType : byte
{
    /// <summary>16-bit keys, 2 bytes per element; a payload base (if any) is 16 bits.</summary>
    Key16 = 0,

    /// <summary>16-bit key then 16-bit payload, 4 bytes per element; a payload base (if any) is 16 bits.</summary>
    Key16Payload16 = 1,

    /// <summary>32-bit keys, 4 bytes per element; a payload base (if any) is 32 bits.</summary>
    Key32 = 2,

    /// <summary>32-bit key then 32-bit payload, 8 bytes per element; a payload base (if any) is 32 bits.</summary>
    Key32Payload32 = 3,
}
