using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace HotPath.Tests.Internal;

/// <summary>
/// Reads an assembly's IL (System.Reflection.Metadata) and finds the methods that build an interpolated string: those
/// that call a member of <c>System.Runtime.CompilerServices.DefaultInterpolatedStringHandler</c>. Such a method keeps the
/// handler (a struct of several fields) in its frame, which the JIT zeroes on entry; inlined into a hot loop, it costs
/// every iteration (the disease of the batch claim's indexer).
/// </summary>
internal static class InterpolationScan
{
    private const string HandlerNamespace = "System.Runtime.CompilerServices";
    private const string HandlerName = "DefaultInterpolatedStringHandler";

    /// <summary>IL opcode → operand bytes, built from <see cref="OpCodes"/>.</summary>
    private static readonly Dictionary<short, OpCode> OpCodeByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    /// <summary>A method that builds an interpolated string, its IL size, and how it is marked for inlining.</summary>
    public readonly record struct Finding(string Method, int IlBytes, bool NoInlining, bool AggressiveInlining);

    /// <summary>Every method of <paramref name="assembly"/> whose IL builds an interpolated string.</summary>
    public static List<Finding> Scan(Assembly assembly)
    {
        using var stream = File.OpenRead(assembly.Location);
        using var pe = new PEReader(stream);
        MetadataReader metadata = pe.GetMetadataReader();
        var findings = new List<Finding>();
        foreach (TypeDefinitionHandle typeHandle in metadata.TypeDefinitions)
        {
            TypeDefinition type = metadata.GetTypeDefinition(typeHandle);
            foreach (MethodDefinitionHandle methodHandle in type.GetMethods())
            {
                MethodDefinition method = metadata.GetMethodDefinition(methodHandle);
                if (method.RelativeVirtualAddress == 0)
                {
                    continue;
                }

                MethodBodyBlock body = pe.GetMethodBody(method.RelativeVirtualAddress);
                byte[] il = body.GetILBytes() ?? [];
                if (BuildsInterpolatedString(metadata, il))
                {
                    findings.Add(new Finding(
                        $"{TypeName(metadata, type)}.{metadata.GetString(method.Name)}",
                        il.Length,
                        (method.ImplAttributes & MethodImplAttributes.NoInlining) != 0,
                        (method.ImplAttributes & MethodImplAttributes.AggressiveInlining) != 0));
                }
            }
        }

        return findings;
    }

    private static bool BuildsInterpolatedString(MetadataReader metadata, byte[] il)
    {
        int position = 0;
        while (position < il.Length)
        {
            short value = il[position] == 0xFE ? (short)(0xFE00 | il[position + 1]) : il[position];
            position += il[position] == 0xFE ? 2 : 1;
            OpCode opCode = OpCodeByValue[value];
            if (opCode.OperandType == OperandType.InlineMethod
                && IsHandlerMember(metadata, MetadataTokens.EntityHandle(BitConverter.ToInt32(il, position))))
            {
                return true;
            }

            position += opCode.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + (4 * BitConverter.ToInt32(il, position)),
                _ => 4,
            };
        }

        return false;
    }

    private static bool IsHandlerMember(MetadataReader metadata, EntityHandle handle)
    {
        if (handle.Kind == HandleKind.MethodSpecification)
        {
            handle = metadata.GetMethodSpecification((MethodSpecificationHandle)handle).Method;
        }

        if (handle.Kind != HandleKind.MemberReference)
        {
            return false;
        }

        EntityHandle parent = metadata.GetMemberReference((MemberReferenceHandle)handle).Parent;
        if (parent.Kind != HandleKind.TypeReference)
        {
            return false;
        }

        TypeReference type = metadata.GetTypeReference((TypeReferenceHandle)parent);
        return metadata.StringComparer.Equals(type.Name, HandlerName) && metadata.StringComparer.Equals(type.Namespace, HandlerNamespace);
    }

    private static string TypeName(MetadataReader metadata, TypeDefinition type)
    {
        string name = metadata.GetString(type.Name);
        TypeDefinitionHandle declaring = type.GetDeclaringType();
        return declaring.IsNil ? $"{metadata.GetString(type.Namespace)}.{name}" : $"{TypeName(metadata, metadata.GetTypeDefinition(declaring))}+{name}";
    }
}
