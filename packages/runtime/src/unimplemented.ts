// Fills every method of a service definition that a role does not implement yet with a handler
// that answers UNIMPLEMENTED, naming the RPC. No fake results: a caller learns it is not there.
import { ServerError, Status, type ServiceImplementation, type TsProtoServiceDefinition } from "nice-grpc";

export function withUnimplemented<D extends TsProtoServiceDefinition>(
  definition: D,
  implemented: Partial<ServiceImplementation<D>> = {},
): ServiceImplementation<D> {
  const impl: Record<string, unknown> = { ...implemented };
  for (const [key, method] of Object.entries(definition.methods)) {
    if (impl[key]) continue;
    const message = `${definition.fullName}/${method.name} is not implemented yet`;
    impl[key] = method.responseStream
      ? async function* () {
          throw new ServerError(Status.UNIMPLEMENTED, message);
        }
      : async () => {
          throw new ServerError(Status.UNIMPLEMENTED, message);
        };
  }
  return impl as ServiceImplementation<D>;
}
