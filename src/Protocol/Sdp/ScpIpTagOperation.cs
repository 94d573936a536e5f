namespace FastSpinnRelay.Protocol.Sdp;

/// <summary>IPTAG sub-operation (bits 23..16 of arg1). SC&amp;MP answers <see cref="ScpResult.Arg"/> above 4.</summary>
public enum ScpIpTagOperation : byte
{
    /// <summary>NEW: allocate a free fixed tag and set it; the reply's arg1 is the tag (0xFF when none free).</summary>
    New = 0,

    /// <summary>SET: set the given tag (normal: arg2 host UDP port, arg3 IPv4; reverse: see <see cref="ScpReverseTagTarget"/>).</summary>
    Set = 1,

    /// <summary>GET: arg2 = number of 32-byte <see cref="ScpIpTagEntry"/> entries to return, starting at the tag.</summary>
    Get = 2,

    /// <summary>CLR: free the tag.</summary>
    Clear = 3,

    /// <summary>TTO: arg2 &lt; 16 sets the transient-tag timeout code; reply arg1 see <see cref="ScpIpTag.TimeoutReplyArg1"/>.</summary>
    TransientTimeout = 4,
}
