import { Type } from 'class-transformer';
import { IsInt, IsNumber, IsOptional, Max, Min, ValidateNested } from 'class-validator';

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
}
