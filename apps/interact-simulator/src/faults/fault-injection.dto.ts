import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  Matches,
  Max,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import type { SoapDialect } from '../soap/soap-dialect.js';
import { HOSTILE_PAYLOADS, type HostilePayload } from './hostile-payloads.js';

export class TransportFaultsDto {
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(600_000)
  latencyMs?: number;

  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(1)
  errorRate?: number;

  @IsOptional()
  @IsIn(HOSTILE_PAYLOADS)
  hostile?: HostilePayload;
}

export class SoapDialectDto implements SoapDialect {
  @ValidateIf((_dialect, prefix) => prefix !== null)
  @Matches(/^[A-Za-z_][\w.-]*$/)
  prefix!: string | null;

  @IsIn(['omit', 'element', 'nil'])
  empty!: SoapDialect['empty'];

  @IsBoolean()
  reorder!: boolean;

  @IsBoolean()
  cdata!: boolean;
}

export class PhotoFaultsDto {
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(600_000)
  latencyMs?: number;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(60_000)
  dripMs?: number;

  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(1)
  errorRate?: number;
}

export class FaultsUpdateDto {
  @IsOptional()
  @ValidateNested()
  @Type(() => TransportFaultsDto)
  rest?: TransportFaultsDto;

  @IsOptional()
  @ValidateNested()
  @Type(() => TransportFaultsDto)
  soap?: TransportFaultsDto;

  /** How found histories are written on SOAP: null for the soap package's own way. */
  @IsOptional()
  @ValidateNested()
  @Type(() => SoapDialectDto)
  soapDialect?: SoapDialectDto | null;

  @IsOptional()
  @ValidateNested()
  @Type(() => PhotoFaultsDto)
  photos?: PhotoFaultsDto;
}
