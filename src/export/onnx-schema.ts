// The part of the ONNX protobuf schema that grove writes, described as a protobufjs reflection
// root built in code (no .proto file is shipped). Message and field names follow ONNX (camelCase
// here, as protobufjs uses); every field number was checked against onnx/onnx.proto. Fields
// grove never writes (training info, sparse tensors, sequences, maps, ...) are left out: a
// protobuf message is valid with any subset of its fields, so readers need nothing more.
import protobuf from 'protobufjs';

const field = (id: number, type: string, rule?: 'repeated') => (rule ? { id, type, rule } : { id, type });

const descriptor = {
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            irVersion: field(1, 'int64'),
            producerName: field(2, 'string'),
            producerVersion: field(3, 'string'),
            domain: field(4, 'string'),
            modelVersion: field(5, 'int64'),
            docString: field(6, 'string'),
            graph: field(7, 'GraphProto'),
            opsetImport: field(8, 'OperatorSetIdProto', 'repeated'),
            metadataProps: field(14, 'StringStringEntryProto', 'repeated'),
          },
        },
        OperatorSetIdProto: { fields: { domain: field(1, 'string'), version: field(2, 'int64') } },
        StringStringEntryProto: { fields: { key: field(1, 'string'), value: field(2, 'string') } },
        GraphProto: {
          fields: {
            node: field(1, 'NodeProto', 'repeated'),
            name: field(2, 'string'),
            initializer: field(5, 'TensorProto', 'repeated'),
            docString: field(10, 'string'),
            input: field(11, 'ValueInfoProto', 'repeated'),
            output: field(12, 'ValueInfoProto', 'repeated'),
          },
        },
        NodeProto: {
          fields: {
            input: field(1, 'string', 'repeated'),
            output: field(2, 'string', 'repeated'),
            name: field(3, 'string'),
            opType: field(4, 'string'),
            attribute: field(5, 'AttributeProto', 'repeated'),
            docString: field(6, 'string'),
            domain: field(7, 'string'),
          },
        },
        AttributeProto: {
          fields: {
            name: field(1, 'string'),
            f: field(2, 'float'),
            i: field(3, 'int64'),
            s: field(4, 'bytes'),
            t: field(5, 'TensorProto'),
            floats: field(7, 'float', 'repeated'),
            ints: field(8, 'int64', 'repeated'),
            strings: field(9, 'bytes', 'repeated'),
            type: field(20, 'AttributeType'),
          },
          nested: {
            AttributeType: { values: { UNDEFINED: 0, FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7, STRINGS: 8 } },
          },
        },
        TensorProto: {
          fields: {
            dims: field(1, 'int64', 'repeated'),
            dataType: field(2, 'int32'),
            floatData: field(4, 'float', 'repeated'),
            stringData: field(6, 'bytes', 'repeated'),
            int64Data: field(7, 'int64', 'repeated'),
            name: field(8, 'string'),
            doubleData: field(10, 'double', 'repeated'),
          },
        },
        ValueInfoProto: { fields: { name: field(1, 'string'), type: field(2, 'TypeProto'), docString: field(3, 'string') } },
        TypeProto: {
          fields: { tensorType: field(1, 'Tensor') },
          nested: { Tensor: { fields: { elemType: field(1, 'int32'), shape: field(2, 'TensorShapeProto') } } },
        },
        TensorShapeProto: {
          fields: { dim: field(1, 'Dimension', 'repeated') },
          nested: { Dimension: { oneofs: { value: { oneof: ['dimValue', 'dimParam'] } }, fields: { dimValue: field(1, 'int64'), dimParam: field(2, 'string') } } },
        },
      },
    },
  },
};

/** TensorProto.DataType values grove uses. */
export const ONNX_FLOAT = 1;
export const ONNX_INT64 = 7;
export const ONNX_STRING = 8;
export const ONNX_BOOL = 9;
export const ONNX_DOUBLE = 11;

/** AttributeProto.AttributeType values. */
export const ATTR = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

let root: protobuf.Root | null = null;

/** The ModelProto message type (built once). */
export function modelProtoType(): protobuf.Type {
  root ??= protobuf.Root.fromJSON(descriptor);
  return root.lookupType('onnx.ModelProto');
}
