using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace FastSpinnRelay.Protocol.Internal;

/// <summary>
/// Throws for caller bugs (an argument out of range, a call that does not fit the writer's state). Wire input never
/// reaches these: readers report a reason enum instead. The throwing methods are never inlined and keep message
/// construction out of the callers, so the hot paths that guard with them stay small.
/// </summary>
internal static class ArgumentThrow
{
    [DoesNotReturn]
    [StackTraceHidden]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void OutOfRange(string paramName, string requirement) =>
        throw new ArgumentOutOfRangeException(paramName, requirement);

    [DoesNotReturn]
    [StackTraceHidden]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Invalid(string paramName, string requirement) =>
        throw new ArgumentException(requirement, paramName);

    [DoesNotReturn]
    [StackTraceHidden]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void InvalidOperation(string reason) => throw new InvalidOperationException(reason);
}
